using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Exit;

/// <summary>What the exit node keeps to call a request again after a crash: the head's MessagePack bytes and the whole body, decoded.</summary>
internal sealed record RetryRecord(byte[] Head, byte[] Body)
{
    /// <summary>The record of a request whose whole body is in its head frame; null when the inline block does not decode (the request is then never repeated).</summary>
    public static RetryRecord? Of(Frame frame)
    {
        if (frame.Codec == BodyCodec.None)
        {
            return new RetryRecord(frame.HeadBytes.ToArray(), frame.Body.ToArray());
        }

        var body = new byte[frame.DecodedLength];
        return BodyBlock.TryDecode(frame.Codec, frame.Body.Span, body) ? new RetryRecord(frame.HeadBytes.ToArray(), body) : null;
    }
}
