import "@tanstack/react-query";

// What a mutation may tell the global error handler.
declare module "@tanstack/react-query" {
  interface Register {
    mutationMeta: { inlineErrors?: boolean };
  }
}
