namespace Relay.HttpProxy.Async;

/// <summary>The body of a 202 for a request whose response comes later.</summary>
public sealed record AsyncAcceptedDocument(string Id, string Status, string Location);
