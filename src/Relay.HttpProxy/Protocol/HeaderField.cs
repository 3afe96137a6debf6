namespace Relay.HttpProxy.Protocol;

/// <summary>One header field line: a name and one value, as it came.</summary>
internal readonly record struct HeaderField(string Name, string Value);
