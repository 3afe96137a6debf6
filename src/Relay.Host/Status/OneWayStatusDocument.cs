namespace Relay.Host.Status;

/// <summary>HTTP over a one-way link to one peer, since start: what this node sent, or what it replayed (the peer hears nothing of it).</summary>
/// <param name="Direction">The link's direction as this node sees it: <c>SendOnly</c> or <c>ReceiveOnly</c>.</param>
/// <param name="Sent">Requests answered 202 <c>Relay-Outcome: sent</c> (entry side).</param>
/// <param name="SentBytes">Their body bytes.</param>
/// <param name="Refused">Requests refused with 501 because they need a response (entry side).</param>
/// <param name="CalleeStatuses">Replayed requests by the callee's status (exit side).</param>
/// <param name="Failed">Replays that got no response from the callee (exit side).</param>
/// <param name="Late">Requests that arrived after their deadline and were not called (exit side).</param>
/// <param name="Duplicates">Copies that arrived again and were not replayed twice (exit side).</param>
public sealed record OneWayStatusDocument(
    string Direction,
    long Sent,
    long SentBytes,
    long Refused,
    IReadOnlyDictionary<string, long> CalleeStatuses,
    long Failed,
    long Late,
    long Duplicates);
