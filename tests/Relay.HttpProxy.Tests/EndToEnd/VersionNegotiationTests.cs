using System.Buffers;
using System.IO.Abstractions;
using System.Text.Json;
using Relay.Host.Configuration;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// A third node, site-c, stands for a node built to speak a future frame version. Files between
/// it and site-a or site-b are written straight into the other's inbox, or read from the inbox the
/// pipes fill (three nodes can share a folder: each takes only what is addressed to it).
/// </summary>
public sealed class VersionNegotiationTests : IAsyncLifetime, IDisposable
{
    private const byte FutureVersion = 3;

    private static readonly FaultProfile Faulty = HostileFolder.Profile(72);

    private readonly TemporaryFolder _folder = new();
    private readonly NodeKeyPair _future = NodeKeyPair.Generate("site-c");
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;
    private Layer1Node? _futureNode;

    public async Task InitializeAsync()
    {
        var keys = _folder.Sub("keys");
        _future.Save(new FileSystem(), keys);
        var futurePublic = Path.Combine(keys, "site-c.public.json");
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, Faulty, a =>
        {
            a.Peers.Add(new PeerOptions { Id = "site-c", PublicKeyFile = futurePublic });
            a.Ingress!.Routes.Add(new IngressRouteOptions { PathPrefix = "/future/", Peer = "site-c", Target = _callee.BaseUrl });
        }, b => b.Peers.Add(new PeerOptions { Id = "site-c", PublicKeyFile = futurePublic }));
    }

    public async Task DisposeAsync()
    {
        if (_futureNode is not null)
        {
            await _futureNode.DisposeAsync();
        }

        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose()
    {
        _future.Dispose();
        _folder.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(FutureVersion)]
    public async Task FrameOfAVersionTheNodeDoesNotSpeak_IsAnsweredWithTheVersionsItDoes(byte version)
    {
        var future = OpenFutureNode(outbox: _relay.OptionsB.Exchange.Inbox, inbox: _relay.OptionsA.Exchange.Inbox);
        var streamId = Guid.NewGuid();
        await future.SendAsync("site-b", version == 1 ? VersionOneRequestHead(streamId) : FutureFrame(streamId));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frame = await ReceiveSkippingHeartbeatsAsync(future, "site-b", timeout.Token);
        Assert.Equal(FrameType.UnsupportedVersion, frame.Type);
        Assert.Equal(streamId, frame.StreamId);
        Assert.False(frame.FromInitiator);
        Assert.Equal("unsupported_api_version", frame.UnsupportedVersion!.Error);
        Assert.Equal([2], frame.UnsupportedVersion.SupportedVersions);
        Assert.Equal(1, _relay.NodeB.GetStatus().Peers.Single(p => p.Peer == "site-c").UnsupportedVersionFrames);
    }

    [Fact]
    public async Task PeerThatCannotReadTheRequest_GivesTheCallerA502ProblemNamingItsVersions_AtOnce()
    {
        var answering = AnswerTheHeadAsUnsupportedAsync(OpenFutureNode(outbox: _relay.OptionsA.Exchange.Inbox, inbox: _relay.OptionsB.Exchange.Inbox));

        using var response = await _relay.Client.GetAsync("/future/echo/x");

        await Problem.AssertAsync(response, 502, "unsupported-version");
        Assert.Contains("speaks 3", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal([3], _relay.NodeA.GetStatus().Peers.Single(p => p.Peer == "site-c").PeerSupportedVersions);
        await answering;
    }

    // A version-1 request head as version 1 wrote it: 4-byte JSON length, JSON, then the end-of-body total.
    private byte[] VersionOneRequestHead(Guid streamId)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new { method = "GET", target = _callee.BaseUrl + "echo/v1", headers = Array.Empty<string>(), hasBody = false });
        var frame = new byte[Frame.HeaderLength + 4 + json.Length + 8];
        FrameWriter.WriteHeader(frame, FrameType.RequestHead, FrameFlags.FromInitiator | FrameFlags.EndOfBody, streamId);
        frame[0] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(Frame.HeaderLength), json.Length);
        json.CopyTo(frame.AsSpan(Frame.HeaderLength + 4));
        return frame;
    }

    private static byte[] FutureFrame(Guid streamId)
    {
        var frame = new byte[64];
        FrameWriter.WriteHeader(frame, FrameType.RequestHead, FrameFlags.FromInitiator, streamId);
        frame[0] = FutureVersion;
        return frame;
    }

    // What a node speaking only a later version does with site-a's request head: answers with type 6,
    // in its own version byte, with the payload every version reads.
    private static async Task AnswerTheHeadAsUnsupportedAsync(Layer1Node future)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var request = await future.ReceiveAsync("site-a", timeout.Token);
        while (Frame.TryParse(request.Payload, out var heartbeat) && heartbeat.Type == FrameType.Heartbeat)
        {
            await future.MarkHandledAsync(request);
            request = await future.ReceiveAsync("site-a", timeout.Token);
        }

        Assert.True(Frame.TryPeek(request.Payload.Span, out var version, out _, out var streamId, out var fromInitiator));
        Assert.Equal(Frame.Version, version);
        var document = FramePayloads.ToBytes(new UnsupportedVersionDocument("unsupported_api_version", [FutureVersion]));
        var answer = new byte[Frame.HeaderLength + document.Length];
        FrameWriter.WriteHeader(answer, FrameType.UnsupportedVersion, fromInitiator ? FrameFlags.None : FrameFlags.FromInitiator, streamId);
        answer[0] = FutureVersion;
        document.CopyTo(answer.AsSpan(Frame.HeaderLength));
        await future.SendAsync("site-a", answer);
        await future.MarkHandledAsync(request);
    }

    // Nodes tell each peer at start which streams they hold open (none): not what these tests look at.
    private static async Task<Frame> ReceiveSkippingHeartbeatsAsync(Layer1Node node, string peer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await node.ReceiveAsync(peer, cancellationToken);
            Assert.True(Frame.TryParse(message.Payload, out var frame));
            if (frame.Type != FrameType.Heartbeat)
            {
                return frame;
            }
        }
    }

    private Layer1Node OpenFutureNode(string outbox, string inbox)
    {
        var fileSystem = new FileSystem();
        var keys = Path.Combine(_folder.Path, "keys");
        var peers = new[] { "site-a", "site-b" }.Select(id => PeerPublicKeys.Load(fileSystem, Path.Combine(keys, id + ".public.json")));
        _futureNode = Layer1Node.Open(new Layer1Options { StateDirectory = _folder.Sub("state-site-c"), Outbox = outbox, Inbox = inbox }, _future, peers);
        return _futureNode;
    }
}
