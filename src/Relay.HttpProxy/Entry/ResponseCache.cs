using System.Text;
using Microsoft.AspNetCore.Http;

namespace Relay.HttpProxy.Entry;

/// <summary>
/// The entry side's TTL cache for polled GETs (<see cref="IngressRouteOptions.CacheTtl"/>): whole responses
/// in memory, each at most <see cref="IngressOptions.CacheMaxEntryBytes"/>, all together at most
/// <see cref="IngressOptions.CacheMaxBytes"/>, the least recently used evicted first. Also lets one request
/// per key go over the link at a time (<see cref="JoinFill"/>).
/// </summary>
/// <remarks>
/// A key is the route's prefix and the request target with the values of the request headers the last
/// response for that target named in <c>Vary</c>, so variants of one target are entries of their own.
/// </remarks>
internal sealed class ResponseCache
{
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly Dictionary<string, (string[] Names, int Entries)> _varyByTarget = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CacheFill> _fills = new(StringComparer.Ordinal);
    private long _bytes;
    private long _hits;
    private long _misses;
    private int _waiting;

    public ResponseCache(long maxEntryBytes, long maxBytes, TimeProvider time)
    {
        MaxEntryBytes = maxEntryBytes;
        MaxBytes = maxBytes;
        _time = time;
    }

    public long MaxEntryBytes { get; }

    public long MaxBytes { get; }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Requests waiting for another request for the same key to be answered.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Bytes the kept responses use (see <see cref="CachedResponse.Size"/>).</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The key of a request for <paramref name="target"/> (route prefix, path and query), by what its last response varied on.</summary>
    public string KeyFor(string target, IHeaderDictionary requestHeaders)
    {
        string[] names;
        lock (_lock)
        {
            names = _varyByTarget.TryGetValue(target, out var vary) ? vary.Names : [];
        }

        return KeyFor(target, names, requestHeaders);
    }

    /// <summary>A fresh response for the key, or null; a stale one found is dropped.</summary>
    public CachedResponse? TryGet(string key)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return null;
            }

            if (!node.Value.Response.IsFreshAt(now))
            {
                Remove(node);
                return null;
            }

            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value.Response;
        }
    }

    /// <summary>Keeps a response for <paramref name="target"/>, varying on <paramref name="varyNames"/>; false when it is larger than one entry may be.</summary>
    public bool Store(string target, string[] varyNames, IHeaderDictionary requestHeaders, CachedResponse response)
    {
        if (response.Size > MaxEntryBytes)
        {
            return false;
        }

        var key = KeyFor(target, varyNames, requestHeaders);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                Remove(old);
            }

            // The newest response says what the target varies on; variants kept under other names are unreachable now.
            if (_varyByTarget.TryGetValue(target, out var vary) && !vary.Names.AsSpan().SequenceEqual(varyNames))
            {
                foreach (var stale in _recency.Where(entry => entry.Target == target).ToList())
                {
                    Remove(_entries[stale.Key]);
                }
            }

            var count = _varyByTarget.TryGetValue(target, out vary) ? vary.Entries : 0;
            _varyByTarget[target] = (varyNames, count + 1);
            var node = _recency.AddFirst(new Entry(key, target, response));
            _entries[key] = node;
            _bytes += response.Size;
            while (_bytes > MaxBytes && _recency.Last is { } last && last != node)
            {
                Remove(last);
            }

            return true;
        }
    }

    /// <summary>Counts a request answered from the cache.</summary>
    public void CountHit() => Interlocked.Increment(ref _hits);

    /// <summary>Counts a cacheable request that went over the link.</summary>
    public void CountMiss() => Interlocked.Increment(ref _misses);

    /// <summary>
    /// Either a claim to fetch the key (the caller disposes it once its response is kept or known not to
    /// be), or a task that completes when the request holding the claim lets go of it.
    /// </summary>
    public (CacheFill? Lead, Task? Wait) JoinFill(string key)
    {
        lock (_lock)
        {
            if (_fills.TryGetValue(key, out var fill))
            {
                Interlocked.Increment(ref _waiting);
                return (null, WaitAsync(fill.Done));
            }

            fill = new CacheFill(key, EndFill);
            _fills[key] = fill;
            return (fill, null);
        }
    }

    private async Task WaitAsync(Task fill)
    {
        try
        {
            await fill.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private void EndFill(CacheFill fill)
    {
        lock (_lock)
        {
            // Only its own: a claim that ended early may have been followed by another's for the key.
            if (_fills.TryGetValue(fill.Key, out var current) && current == fill)
            {
                _fills.Remove(fill.Key);
            }
        }
    }

    private static string KeyFor(string target, string[] varyNames, IHeaderDictionary requestHeaders)
    {
        if (varyNames.Length == 0)
        {
            return target;
        }

        var key = new StringBuilder(target);
        foreach (var name in varyNames)
        {
            // Separators that cannot occur in a target or a header value keep keys apart.
            key.Append('\n').Append(name).Append(':').Append(requestHeaders[name].ToString());
        }

        return key.ToString();
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Response.Size;
        if (_varyByTarget.TryGetValue(node.Value.Target, out var vary))
        {
            if (vary.Entries <= 1)
            {
                _varyByTarget.Remove(node.Value.Target);
            }
            else
            {
                _varyByTarget[node.Value.Target] = (vary.Names, vary.Entries - 1);
            }
        }
    }

    private sealed record Entry(string Key, string Target, CachedResponse Response);
}
