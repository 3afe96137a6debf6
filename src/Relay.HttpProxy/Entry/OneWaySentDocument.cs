namespace Relay.HttpProxy.Entry;

/// <summary>The body of the 202 for a request on a one-way route: it is durable here and on its way.</summary>
/// <param name="Id">The request's id (also in <c>Relay-Request-Id</c>), as the exit node logs it.</param>
/// <param name="Status">Always <c>sent</c>.</param>
/// <param name="Peer">The node it goes to.</param>
/// <param name="Bytes">The request body's length as the caller sent it.</param>
internal sealed record OneWaySentDocument(string Id, string Status, string Peer, long Bytes);
