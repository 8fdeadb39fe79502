// The provider catalogue is data shared with the worker, so it lives in @northstar/db/providers;
// the API keeps importing it from here.
export * from "@northstar/db/providers";
