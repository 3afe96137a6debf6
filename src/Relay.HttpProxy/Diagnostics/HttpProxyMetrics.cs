using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Relay.HttpProxy.Diagnostics;

/// <summary>Layer-2 instruments on the <c>Relay</c> meter.</summary>
internal sealed class HttpProxyMetrics : IDisposable
{
    public const string MeterName = "Relay";

    private readonly Meter _meter;
    private readonly Counter<long> _forwarded;
    private readonly Histogram<double> _forwardDuration;
    private readonly Counter<long> _cached;
    private readonly Counter<long> _served;
    private readonly Counter<long> _outcomeUnknown;
    private readonly Counter<long> _replayedFromStore;
    private readonly Counter<long> _oneWay;
    private readonly bool _ownsMeter;

    public HttpProxyMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _forwarded = _meter.CreateCounter<long>("relay.http.entry.requests", "{request}", "Callers' requests answered by the entry side, by peer and status");
        _forwardDuration = _meter.CreateHistogram<double>("relay.http.entry.duration", "s", "From a caller's request to the response head");
        _cached = _meter.CreateCounter<long>("relay.http.entry.cache", "{request}", "Cacheable requests on caching routes, by peer and result (hit: answered here; miss: over the link)");
        _served = _meter.CreateCounter<long>("relay.http.exit.requests", "{request}", "Requests the exit side answered, by peer and status");
        _outcomeUnknown = _meter.CreateCounter<long>("relay.http.exit.outcome_unknown", "{request}", "Requests left with an unknown outcome by a restart");
        _replayedFromStore = _meter.CreateCounter<long>("relay.http.exit.replayed", "{request}", "Repeats of an Idempotency-Key answered from the kept response");
        _oneWay = _meter.CreateCounter<long>(
            "relay.http.one_way", "{request}", "Requests on one-way links, by peer, side and result (entry: sent, refused; exit: replayed, failed, late, duplicate)");
    }

    public void Forwarded(string peer, int status, TimeSpan elapsed)
    {
        var tags = new TagList { { "peer", peer }, { "status", status } };
        _forwarded.Add(1, tags);
        _forwardDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void Cache(string peer, bool hit) => _cached.Add(1, new KeyValuePair<string, object?>("peer", peer), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    public void Served(string peer, int status) => _served.Add(1, new KeyValuePair<string, object?>("peer", peer), new KeyValuePair<string, object?>("status", status));

    public void OutcomeUnknown(string peer) => _outcomeUnknown.Add(1, new KeyValuePair<string, object?>("peer", peer));

    public void ReplayedFromStore(string peer) => _replayedFromStore.Add(1, new KeyValuePair<string, object?>("peer", peer));

    /// <param name="peer">The peer at the other end.</param>
    /// <param name="side"><c>entry</c> or <c>exit</c>.</param>
    /// <param name="result">How the request ended on this side.</param>
    public void OneWay(string peer, string side, string result) =>
        _oneWay.Add(1, new TagList { { "peer", peer }, { "side", side }, { "result", result } });

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
