using System.Text;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Protocol;

/// <summary>The frames in docs/vectors/frames decode to what their README says.</summary>
public sealed class FrameVectorTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "vectors", "frames");
    private static readonly Guid StreamId = Guid.Parse("0192d7e4-1c2b-7a3d-8e4f-5a6b7c8d9e0f");
    private static readonly byte[] Hello = Encoding.UTF8.GetBytes("{\"hello\":\"relay\"}");
    private static readonly byte[] Repeated = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 64).Select(i => $"{{\"id\":{i},\"status\":\"paid\",\"currency\":\"EUR\"}},")));

    [Fact]
    public void RequestHead()
    {
        var frame = Read("request-head", FrameType.RequestHead, fromInitiator: true);
        Assert.True(frame.EndOfBody);
        Assert.Equal(0, frame.DeclaredTotal);
        Assert.True(frame.Body.IsEmpty);
        FrameSamples.AssertSame(
            new RequestHead("GET", "http://127.0.0.1:9000/invoices?year=2026", HeaderList.FromNamesAndValues(["Accept", "application/json", "X-Tag", "v"]), null, false, 30_000, BodyCodec.Brotli, "10.0.0.7", "relay-a:8080", "http", 1_767_225_600_000, "/svc/"),
            frame.RequestHead);
    }

    [Fact]
    public void ResponseHead()
    {
        var frame = Read("response-head", FrameType.ResponseHead, fromInitiator: false);
        FrameSamples.AssertSame(new ResponseHead(200, HeaderList.FromNamesAndValues(["Content-Type", "application/json"]), Hello.Length), frame.ResponseHead);
        Assert.Equal(BodyCodec.None, frame.Codec);
        Assert.Equal(Hello, frame.Body.ToArray());
        Assert.True(frame.EndOfBody);
        Assert.Equal(Hello.Length, frame.DeclaredTotal);
    }

    [Fact]
    public void DataRaw()
    {
        var frame = Read("data-raw", FrameType.Data, fromInitiator: true);
        Assert.Equal(BodyCodec.None, frame.Codec);
        Assert.Equal(Hello, frame.Body.ToArray());
        Assert.False(frame.EndOfBody);
    }

    [Theory]
    [InlineData("data-lz4", nameof(BodyCodec.Lz4))]
    [InlineData("data-brotli", nameof(BodyCodec.Brotli))]
    public void DataCompressed(string vector, string codec)
    {
        var frame = Read(vector, FrameType.Data, fromInitiator: false);
        Assert.Equal(Enum.Parse<BodyCodec>(codec), frame.Codec);
        Assert.Equal(Repeated.Length, frame.DecodedLength);
        Assert.True(frame.Body.Length < Repeated.Length);
        Assert.Equal(Repeated, FrameSamples.DecodedBody(frame));
        Assert.False(frame.EndOfBody);
    }

    [Fact]
    public void EndOfBody()
    {
        var frame = Read("end-of-body", FrameType.Data, fromInitiator: false);
        Assert.True(frame.EndOfBody);
        Assert.True(frame.Body.IsEmpty);
        Assert.Equal(1041, frame.DeclaredTotal);
    }

    [Fact]
    public void Credit() => Assert.Equal(4 * 1024 * 1024, Read("credit", FrameType.Credit, fromInitiator: true).CreditBytes);

    [Fact]
    public void Reset() => Assert.Equal(ResetReason.DeadlineExceeded, Read("reset", FrameType.Reset, fromInitiator: true).ResetReason);

    [Fact]
    public void UnsupportedVersion()
    {
        var frame = Read("unsupported-version", FrameType.UnsupportedVersion, fromInitiator: false);
        Assert.Equal("unsupported_api_version", frame.UnsupportedVersion!.Error);
        Assert.Equal([2], frame.UnsupportedVersion.SupportedVersions);
    }

    [Fact]
    public void Heartbeat()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Directory, "heartbeat.bin"));
        Assert.True(Frame.TryParse(bytes, out var frame, out var reject), reject.ToString());
        Assert.Equal((FrameType.Heartbeat, Guid.Empty, true), (frame.Type, frame.StreamId, frame.FromInitiator));
        Assert.Equal([StreamId, Guid.Parse("0192d7e4-1c2b-7a3d-8e4f-000000000002")], frame.HeartbeatStreams);
    }

    [Fact]
    public void EveryVector_IsCoveredHere()
    {
        var files = System.IO.Directory.EnumerateFiles(Directory, "*.bin").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(
            ["credit", "data-brotli", "data-lz4", "data-raw", "end-of-body", "heartbeat", "request-head", "reset", "response-head", "unsupported-version"],
            files);
    }

    private static Frame Read(string vector, FrameType type, bool fromInitiator)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Directory, vector + ".bin"));
        Assert.Equal(Frame.Version, bytes[0]);
        Assert.True(Frame.TryParse(bytes, out var frame, out var reject), reject.ToString());
        Assert.Equal(type, frame.Type);
        Assert.Equal(StreamId, frame.StreamId);
        Assert.Equal(fromInitiator, frame.FromInitiator);
        return frame;
    }
}
