// The integration sync worker's entry point: built in issue 4 (see apps/worker/README once written).
console.error("The Northstar worker is not built yet (issue 4).");
process.exitCode = 1;
