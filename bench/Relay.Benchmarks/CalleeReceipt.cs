namespace Relay.Benchmarks;

/// <summary>One id's deliveries at the callee: how many, and the length and SHA-256 (hex) of the last body.</summary>
internal sealed record CalleeReceipt(int Count, long Length, string Sha256);
