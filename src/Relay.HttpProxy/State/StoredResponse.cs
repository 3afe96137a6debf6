using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.State;

/// <summary>A response kept for repeats of the caller's <c>Idempotency-Key</c>.</summary>
/// <param name="StreamId">The stream that produced it; names its body file.</param>
/// <param name="Method">The method of the original request.</param>
/// <param name="Target">The target of the original request.</param>
/// <param name="Status">The response status, or null when the outcome is unknown.</param>
/// <param name="Head">The response head as sent, or null (none, or kept in a format this node does not read).</param>
/// <param name="BodyStored">Whether the whole body was kept.</param>
/// <param name="RequestBodyHash">The SHA-256 of the original request's body, or null when it could not be had whole.</param>
internal sealed record StoredResponse(Guid StreamId, string Method, string Target, int? Status, ResponseHead? Head, bool BodyStored, byte[]? RequestBodyHash);
