namespace Relay.HttpProxy.Protocol;

/// <summary>
/// The payload of an <see cref="FrameType.UnsupportedVersion"/> frame, shaped like Parsec's HTTP API
/// answer: error <c>unsupported_api_version</c> and the versions the sender speaks
/// (MessagePack layout: <see cref="UnsupportedVersionDocumentFormatter"/>).
/// </summary>
internal sealed record UnsupportedVersionDocument(string Error, int[] SupportedVersions);
