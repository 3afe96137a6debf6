using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Streams;

/// <summary>The peer cannot read this node's frames: it speaks only <see cref="SupportedVersions"/>.</summary>
internal sealed class UnsupportedVersionException : StreamResetException
{
    public UnsupportedVersionException(string peer, int[] supportedVersions)
        : base(ResetReason.UnsupportedVersion, $"Node '{peer}' does not speak frame version {Frame.Version}; it speaks {string.Join(", ", supportedVersions)}.")
    {
        Peer = peer;
        SupportedVersions = supportedVersions;
    }

    public string Peer { get; }

    public IReadOnlyList<int> SupportedVersions { get; }
}
