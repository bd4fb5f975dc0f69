// ledger system: SDK classes (filled in by issue 4).
export {};
