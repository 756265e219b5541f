import { describe, expect, it } from "vitest";
import { sendErrorText } from "./support-errors";

describe("why a support question was not sent, in words", () => {
  it("shows the server's own words for a refused question", () => {
    const message = "Your question is 4,010 characters long; the limit is 4,000. Shorten it by 10 characters, or send the rest in a second request.";
    expect(sendErrorText({ message, data: { code: "BAD_REQUEST", httpStatus: 400 } }, 4010)).toBe(message);
  });

  it("never shows zod's wording: says the problem from the length instead", () => {
    const zodWords = "Too big: expected string to have <=4000 characters";
    expect(sendErrorText({ message: zodWords, data: { code: "BAD_REQUEST", httpStatus: 400 } }, 4200)).toBe(
      "Your question is 4,200 characters long; the limit is 4,000. Shorten it by 200 characters, or send the rest in a second request.",
    );
    expect(sendErrorText({ message: "Too small: expected string to have >=10 characters", data: { httpStatus: 400 } }, 3)).toBe("Tell us a little more: at least 10 characters, 7 to go.");
  });

  it("a network failure, an ended session, a server error", () => {
    expect(sendErrorText({ message: "Failed to fetch" }, 20)).toMatch(/^We could not reach the server/);
    expect(sendErrorText({ message: "UNAUTHORIZED", data: { code: "UNAUTHORIZED", httpStatus: 401 } }, 20)).toMatch(/^Your session has ended/);
    expect(sendErrorText({ message: "Something went wrong", data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 } }, 20)).toMatch(/^Something went wrong on our side/);
  });
});
