using System.Collections.Concurrent;

namespace Relay.Benchmarks;

/// <summary>
/// What the callee received on <c>/record/{id}</c>, per id: how often, and the length and SHA-256
/// of the last body. One-way links return nothing, so the callee's own count is the only evidence
/// of delivery.
/// </summary>
internal sealed class CalleeReceipts
{
    private readonly ConcurrentDictionary<string, CalleeReceipt> _receipts = new(StringComparer.Ordinal);

    /// <summary>Ids received at least once.</summary>
    public int DistinctCount => _receipts.Count;

    public void Add(string id, long length, string sha256) =>
        _receipts.AddOrUpdate(id, _ => new CalleeReceipt(1, length, sha256), (_, seen) => new CalleeReceipt(seen.Count + 1, length, sha256));

    public CalleeReceipt? Find(string id) => _receipts.TryGetValue(id, out var receipt) ? receipt : null;

    public void Clear() => _receipts.Clear();
}
