using System.IO.Abstractions;
using System.Text;
using Relay.Host.Configuration;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// A one-way request delivered again (its sender sent it once more, as after an operator's resend)
/// is not replayed again, also after the exit node restarts. site-c is a protocol-level sender that
/// site-b only receives from, so the same request can be written twice as two messages.
/// </summary>
public sealed class OneWayDuplicateTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly NodeKeyPair _sender = NodeKeyPair.Generate("site-c");
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;
    private Layer1Node? _senderNode;

    public async Task InitializeAsync()
    {
        var keys = _folder.Sub("keys");
        _sender.Save(new FileSystem(), keys);
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless, configureB: b =>
            b.Peers.Add(new PeerOptions { Id = "site-c", PublicKeyFile = Path.Combine(keys, "site-c.public.json"), Direction = nameof(PeerDirection.ReceiveOnly) }));
    }

    public async Task DisposeAsync()
    {
        if (_senderNode is not null)
        {
            await _senderNode.DisposeAsync();
        }

        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose()
    {
        _sender.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task ACopyArrivingAgain_IsNotReplayed_BeforeOrAfterARestart()
    {
        var sender = OpenSender();
        var request = Request(Guid.CreateVersion7(), "twice");

        await sender.SendAsync("site-b", request);
        await WaitUntilAsync(() => ExitStatus().OneWayCalleeStatuses.GetValueOrDefault(200) == 1, "the first copy was never replayed");

        await sender.SendAsync("site-b", request);
        await SendMarkerAsync(sender);
        Assert.Equal(1, _callee.Arrivals.GetValueOrDefault("twice"));
        Assert.Equal(1, ExitStatus().OneWayDuplicates);
        Assert.Equal(0, FilesWrittenForSiteC());

        await _relay.RestartBAsync();
        await sender.SendAsync("site-b", request);
        await SendMarkerAsync(sender);
        Assert.Equal(1, _callee.Arrivals.GetValueOrDefault("twice"));
        Assert.Equal(1, ExitStatus().OneWayDuplicates);
        Assert.Equal(0, FilesWrittenForSiteC());
    }

    [Fact]
    public async Task ARequestFromAnEntryThatHoldsItsCaller_ArrivingLate_IsCountedAndNotCalled()
    {
        var sender = OpenSender();

        await sender.SendAsync("site-b", Request(Guid.CreateVersion7(), "late", DateTimeOffset.UtcNow.AddMinutes(-1)));
        await SendMarkerAsync(sender);

        Assert.Equal(1, ExitStatus().OneWayLate);
        Assert.False(_callee.Arrivals.ContainsKey("late"), "a request past its deadline reached the callee");
    }

    private async Task SendMarkerAsync(Layer1Node sender)
    {
        var tag = "marker-" + Guid.NewGuid().ToString("N");
        await sender.SendAsync("site-b", Request(Guid.CreateVersion7(), tag));
        await WaitUntilAsync(() => _callee.Arrivals.GetValueOrDefault(tag) == 1, "the marker request never reached the callee");
    }

    private long FilesWrittenForSiteC() => _relay.NodeB.GetStatus().Peers.Single(p => p.Peer == "site-c").FilesWritten;

    private HttpPeerStatus ExitStatus() => _relay.NodeB.Relay.GetStatus().Single(p => p.Peer == "site-c");

    private byte[] Request(Guid streamId, string tag, DateTimeOffset? expires = null)
    {
        var body = Encoding.UTF8.GetBytes("from " + tag);
        var head = new RequestHead(
            "POST", _callee.BaseUrl + "echo/" + tag, HeaderList.FromNamesAndValues(["X-Tag", tag]), body.Length, true, 10_000, BodyCodec.None, "127.0.0.1", "relay.test", "http", expires?.ToUnixTimeMilliseconds());
        using var frame = new OutgoingFrame();
        using var encoder = new BodyEncoder(BodyCodec.None);
        frame.BeginRequest(streamId, head);
        frame.AppendBody(new System.Buffers.ReadOnlySequence<byte>(body), encoder);
        frame.EndBody(body.Length);
        return frame.Memory.ToArray();
    }

    private Layer1Node OpenSender()
    {
        var peers = new[] { PeerPublicKeys.Load(new FileSystem(), Path.Combine(_folder.Path, "keys", "site-b.public.json")).WithDirection(PeerDirection.SendOnly) };
        _senderNode = Layer1Node.Open(
            new Layer1Options { StateDirectory = _folder.Sub("state-site-c"), Outbox = _relay.OptionsB.Exchange.Inbox, Inbox = _folder.Sub("site-c-in") },
            _sender,
            peers);
        return _senderNode;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string because)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), because);
    }
}
