namespace Relay.HttpProxy.Protocol;

/// <summary>
/// The payload of an <see cref="FrameType.UnsupportedVersion"/> frame, shaped like Parsec's HTTP API
/// answer: <c>{"error":"unsupported_api_version","supportedVersions":[1]}</c>.
/// </summary>
internal sealed record UnsupportedVersionDocument(string Error, int[] SupportedVersions);
