using System.Buffers;
using CsCheck;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Protocol;

/// <summary>Generators of heads and frames as this node writes them, and helpers to build and compare them.</summary>
internal static class FrameSamples
{
    // Letters, digits, punctuation and non-ASCII (no lone surrogates: UTF-8 cannot carry them, so they never round-trip).
    private const string Characters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/:;=,. \"éü€中";

    public static readonly Gen<string> Text = Gen.String[Characters];

    public static readonly Gen<string> NonEmptyText = Text.Where(s => s.Length > 0);

    public static readonly Gen<HeaderList> Headers = Gen.Select(Text, Text, (name, value) => new HeaderField(name, value)).Array[0, 6].Select(fields => HeaderList.Create(fields));

    public static readonly Gen<long?> OptionalLength = Gen.OneOf(Gen.Const((long?)null), Gen.Long[0, long.MaxValue].Select(v => (long?)v));

    public static readonly Gen<string?> OptionalText = Gen.OneOf(Gen.Const((string?)null), Text.Select(s => (string?)s));

    public static readonly Gen<BodyCodec> Codec = Gen.Int[0, 2].Select(c => (BodyCodec)c);

    public static readonly Gen<RequestHead> RequestHeads = Gen.Select(
        NonEmptyText, Text, Headers, OptionalLength, Gen.Bool, Gen.Long[0, long.MaxValue], Codec, OptionalText, Text, Text,
        Gen.OneOf(Gen.Const((long?)null), Gen.Long.Select(v => (long?)v)), OptionalText,
        (method, target, headers, length, hasBody, deadline, codec, address, host, scheme, expires, route) =>
            new RequestHead(method, target, headers, length, hasBody, deadline, codec, address, host, scheme, expires, route));

    public static readonly Gen<ResponseHead> ResponseHeads = Gen.Select(Gen.Int[100, 999], Headers, OptionalLength, (status, headers, length) => new ResponseHead(status, headers, length));

    /// <summary>A head or data frame as <see cref="OutgoingFrame"/> writes it.</summary>
    public static byte[] Build(Action<OutgoingFrame> begin, ReadOnlySpan<byte> body, BodyCodec codec, long? end)
    {
        using var frame = new OutgoingFrame();
        using var encoder = new BodyEncoder(codec);
        begin(frame);
        frame.AppendBody(new ReadOnlySequence<byte>(body.ToArray()), encoder);
        if (end is { } total)
        {
            frame.EndBody(total);
        }

        return frame.Memory.ToArray();
    }

    /// <summary>The body of a head or data frame, decoded.</summary>
    public static byte[] DecodedBody(Frame frame)
    {
        if (frame.Codec == BodyCodec.None)
        {
            return frame.Body.ToArray();
        }

        var decoded = new byte[frame.DecodedLength];
        Assert.True(BodyBlock.TryDecode(frame.Codec, frame.Body.Span, decoded));
        return decoded;
    }

    /// <summary>Heads compare by value, their header lists included; the headers are checked first for a readable failure.</summary>
    public static void AssertSame(RequestHead expected, RequestHead? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected, actual);
    }

    public static void AssertSame(ResponseHead expected, ResponseHead? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected, actual);
    }

    /// <summary>Text that compresses well: what a JSON body looks like.</summary>
    public static byte[] Compressible(int length)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, length / 10 + 1).Select(i => $"{{\"id\":{i % 97},\"ok\":true}}")));
        return text.AsSpan(0, length).ToArray();
    }
}
