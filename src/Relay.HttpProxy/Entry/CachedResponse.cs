using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Entry;

/// <summary>A response the route cache keeps whole in memory, to answer repeats of its request.</summary>
/// <param name="Status">The status code.</param>
/// <param name="Headers">The header fields as they came over the link.</param>
/// <param name="Body">The whole body.</param>
/// <param name="ArrivedAt">When the response arrived here; its <c>Age</c> counts from then.</param>
/// <param name="InitialAge">The age the response already had when it arrived (its own <c>Age</c> header).</param>
/// <param name="FreshFor">How long after arriving it is served.</param>
internal sealed record CachedResponse(int Status, HeaderList Headers, byte[] Body, DateTimeOffset ArrivedAt, TimeSpan InitialAge, TimeSpan FreshFor)
{
    /// <summary>What the entry costs in memory, roughly: the body and the header text (two bytes a character).</summary>
    public long Size { get; } = Body.Length + (2L * Headers.Sum(field => field.Name.Length + field.Value.Length));

    public bool IsFreshAt(DateTimeOffset now) => now - ArrivedAt < FreshFor;

    /// <summary>The <c>Age</c> to send (RFC 9111 §4.2.3): the age it came with plus the time it has been here.</summary>
    public long AgeSecondsAt(DateTimeOffset now) => (long)Math.Max(0, (InitialAge + (now - ArrivedAt)).TotalSeconds);
}
