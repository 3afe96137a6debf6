namespace Relay.HttpProxy.Protocol;

/// <summary>The head of a relayed response, as the callee (or the exit node) produced it (MessagePack layout: <see cref="ResponseHeadFormatter"/>).</summary>
/// <param name="Status">The status code.</param>
/// <param name="Headers">The header fields, hop-by-hop headers already removed.</param>
/// <param name="ContentLength">The declared body length, or null when the body is streamed without one.</param>
internal sealed record ResponseHead(int Status, HeaderList Headers, long? ContentLength);
