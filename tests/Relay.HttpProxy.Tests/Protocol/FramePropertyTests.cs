using System.Buffers.Binary;
using System.Text;
using CsCheck;
using Relay.Tests.Shared;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Protocol;

/// <summary>The frame decoder refuses, and never throws on, whatever bytes arrive.</summary>
public sealed class FramePropertyTests
{
    private const long Iterations = 20_000;

    private static readonly byte[][] ValidFrames =
    [
        Head(FrameType.RequestHead, """{"method":"GET"}""", [1, 2, 3], endOfBody: true),
        Head(FrameType.ResponseHead, """{"status":200}""", [], endOfBody: false),
        Data([9, 8, 7, 6], endOfBody: true),
        Frame.Credit(Guid.NewGuid(), fromInitiator: true, 65536),
        Frame.Reset(Guid.NewGuid(), fromInitiator: false, (ResetReason)1),
        Frame.Heartbeat([Guid.NewGuid(), Guid.NewGuid()]),
        Frame.UnsupportedVersion(Guid.NewGuid(), fromInitiator: true),
    ];

    [Fact]
    public void ArbitraryBytes_NeverThrow()
    {
        Gen.Byte.Array[0, 128].Sample(bytes => ParseAndReadEverything(bytes), iter: Iterations);
    }

    [Fact]
    public void MutatedValidFrames_NeverThrow()
    {
        Mutations.Of(Gen.Int[0, ValidFrames.Length - 1].Select(i => ValidFrames[i]))
            .Sample(bytes => ParseAndReadEverything(bytes), iter: Iterations);
    }

    [Fact]
    public void ValidFrames_Parse()
    {
        Assert.All(ValidFrames, frame => Assert.True(Frame.TryParse(frame, out _)));
    }

    // A refused frame is the reject: TryParse answers false. An accepted one must be safe to read whole.
    private static void ParseAndReadEverything(byte[] bytes)
    {
        if (Frame.TryParse(bytes, out var frame))
        {
            _ = frame.Body.Length + frame.HeadJson.Length + frame.DeclaredTotal + frame.CreditBytes + (int)frame.ResetReason;
            _ = frame.HeartbeatStreams().Count();
        }
        else
        {
            _ = Frame.TryPeek(bytes, out _, out _, out _);
        }
    }

    private static byte[] Head(FrameType type, string json, byte[] body, bool endOfBody)
    {
        var jsonBytes = Encoding.UTF8.GetBytes(json);
        var payload = new byte[4 + jsonBytes.Length + body.Length + (endOfBody ? Frame.TotalLength : 0)];
        BinaryPrimitives.WriteInt32BigEndian(payload, jsonBytes.Length);
        jsonBytes.CopyTo(payload, 4);
        body.CopyTo(payload, 4 + jsonBytes.Length);
        if (endOfBody)
        {
            BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(^Frame.TotalLength), body.Length);
        }

        return WithHeader(type, endOfBody ? FrameFlags.EndOfBody : FrameFlags.None, payload);
    }

    private static byte[] Data(byte[] body, bool endOfBody)
    {
        var payload = new byte[body.Length + (endOfBody ? Frame.TotalLength : 0)];
        body.CopyTo(payload, 0);
        if (endOfBody)
        {
            BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(^Frame.TotalLength), body.Length);
        }

        return WithHeader(FrameType.Data, endOfBody ? FrameFlags.EndOfBody : FrameFlags.None, payload);
    }

    private static byte[] WithHeader(FrameType type, FrameFlags flags, byte[] payload)
    {
        var frame = new byte[Frame.HeaderLength + payload.Length];
        Frame.WriteHeader(frame, type, flags | FrameFlags.FromInitiator, Guid.NewGuid());
        payload.CopyTo(frame, Frame.HeaderLength);
        return frame;
    }
}
