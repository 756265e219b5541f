export * from "./accounts";
export * from "./auth";
export * from "./billing";
export * from "./keys";
export * from "./metering";
export * from "./notices";
export * from "./operator";
export * from "./usage";
