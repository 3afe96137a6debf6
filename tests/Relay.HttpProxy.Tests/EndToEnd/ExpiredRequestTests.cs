using System.IO.Abstractions;
using Relay.Host.Configuration;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// A request whose caller got its 504 before it reached the exit node is never called, and the 504
/// says whether it could have been. site-c is a protocol-level entry node, writing request heads
/// straight into site-b's inbox, so a head that arrives late is a head and nothing else.
/// </summary>
public sealed class ExpiredRequestTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly NodeKeyPair _entry = NodeKeyPair.Generate("site-c");
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;
    private Layer1Node? _entryNode;

    public async Task InitializeAsync()
    {
        var keys = _folder.Sub("keys");
        _entry.Save(new FileSystem(), keys);
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless,
            a => a.Ingress!.Routes.Add(new IngressRouteOptions { PathPrefix = "/quick/", Peer = "site-b", Target = _callee.BaseUrl, Deadline = TimeSpan.FromSeconds(2) }),
            b =>
            {
                b.Peers.Add(new PeerOptions { Id = "site-c", PublicKeyFile = Path.Combine(keys, "site-c.public.json") });
                b.Egress!.ClockSkewAllowance = TimeSpan.Zero;
            });
    }

    public async Task DisposeAsync()
    {
        _callee.GateOpen.TrySetResult();
        if (_entryNode is not null)
        {
            await _entryNode.DisposeAsync();
        }

        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose()
    {
        _entry.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task HeadArrivingAfterItsDeadline_IsNeverCalled_AndAnsweredNotSent()
    {
        var entry = OpenEntryNode();
        var expired = Guid.NewGuid();
        var current = Guid.NewGuid();

        await entry.SendAsync("site-b", RequestHead(expired, "expired", DateTimeOffset.UtcNow.AddSeconds(-10)));
        await entry.SendAsync("site-b", RequestHead(current, "current", DateTimeOffset.UtcNow.AddMinutes(1)));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answers = new Dictionary<Guid, ResponseHead>();
        while (answers.Count < 2)
        {
            var message = await entry.ReceiveAsync("site-b", timeout.Token);
            Assert.True(Frame.TryParse(message.Payload, out var frame));
            if (frame.Type == FrameType.ResponseHead)
            {
                answers[frame.StreamId] = frame.ResponseHead!;
            }

            await entry.MarkHandledAsync(message);
        }

        Assert.Equal(504, answers[expired].Status);
        Assert.Equal("not-sent", answers[expired].Headers.FirstValue("Relay-Outcome"));
        Assert.Equal(200, answers[current].Status);
        // The channel is ordered and site-b answered both: the expired one was refused, not merely slow.
        Assert.False(_callee.Arrivals.ContainsKey("expired"), "the expired request reached the callee");
        Assert.Equal(1, _callee.ExecutionsOf("current"));
    }

    [Fact]
    public async Task DeadlineWhileTheExitNodeIsDown_IsNotSent()
    {
        await _relay.StopBAsync();

        using var timedOut = await _relay.Client.GetAsync("/quick/echo/late");

        await Problem.AssertAsync(timedOut, 504, "deadline-exceeded");
        Assert.Equal("not-sent", timedOut.Headers.GetValues("Relay-Outcome").Single());
        await _relay.StartBAgainAsync();
    }

    [Fact]
    public async Task DeadlineAtASlowCallee_HasAnUnknownOutcome()
    {
        using var timedOut = await _relay.Client.GetAsync("/quick/gate/slow");

        await Problem.AssertAsync(timedOut, 504, "deadline-exceeded");
        Assert.Equal("unknown", timedOut.Headers.GetValues("Relay-Outcome").Single());
    }

    private byte[] RequestHead(Guid streamId, string tag, DateTimeOffset expires)
    {
        var head = new RequestHead(
            "GET", _callee.BaseUrl + "echo/" + tag, HeaderList.FromNamesAndValues(["X-Tag", tag]), null, false, 2000, BodyCodec.None, "127.0.0.1", "relay.test", "http", expires.ToUnixTimeMilliseconds());
        using var frame = new OutgoingFrame();
        frame.BeginRequest(streamId, head);
        frame.EndBody(0);
        return frame.Memory.ToArray();
    }

    private Layer1Node OpenEntryNode()
    {
        var peers = new[] { PeerPublicKeys.Load(new FileSystem(), Path.Combine(_folder.Path, "keys", "site-b.public.json")) };
        _entryNode = Layer1Node.Open(
            new Layer1Options { StateDirectory = _folder.Sub("state-site-c"), Outbox = _relay.OptionsB.Exchange.Inbox, Inbox = _relay.OptionsA.Exchange.Inbox },
            _entry,
            peers);
        return _entryNode;
    }
}
