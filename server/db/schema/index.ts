export * from "./accounts";
export * from "./auth";
export * from "./keys";
export * from "./usage";
