using System.IO.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Faults;
using Relay.Layer1.Tests.Support;
using Xunit.Abstractions;

namespace Relay.Layer1.Tests.Faults;

/// <summary>
/// Hours of a mirror that sweeps every five minutes, run on a fake clock in seconds: once the first
/// round trip has taught the sender the link's delay, nothing goes over the link twice.
/// </summary>
public sealed class ScheduledMirrorClockTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Sweep = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const int MessageBytes = 2 * 1024 * 1024;
    private const int MeasuredSweeps = 24;

    private readonly TemporaryFolder _folder = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TwoHoursOfFiveMinuteSweeps_CarryAtMostFivePercentMoreThanThePayload()
    {
        var optionsA = Options("a");
        var optionsB = Options("b");
        var profile = new FaultProfile { SweepEvery = Sweep };
        await using var toB = new FaultInjectingFolderPipe(new FileSystem(), optionsA.Outbox, optionsB.Inbox, profile, timeProvider: _time);
        await using var toA = new FaultInjectingFolderPipe(new FileSystem(), optionsB.Outbox, optionsA.Inbox, profile, timeProvider: _time);
        await toB.StartAsync(CancellationToken.None);
        await toA.StartAsync(CancellationToken.None);
        var services = new Layer1NodeServices { TimeProvider = _time };
        await using var a = Layer1Node.Open(optionsA, TestKeys.SiteA, [TestKeys.SiteB.PublicKeys], services);
        await using var b = Layer1Node.Open(optionsB, TestKeys.SiteB, [TestKeys.SiteA.PublicKeys], services);
        var received = new List<byte>();
        using var stop = new CancellationTokenSource();
        var reader = ReadAllAsync(b, received, stop.Token);

        // The first round trip: the sender starts from a one-second timeout and learns the link.
        byte next = 0;
        await SendAsync(a, next++);
        for (var sweeps = 0; Status(a).Acknowledged < 1 || Status(a).InFlight > 0; sweeps++)
        {
            Assert.True(sweeps < 10, "the first message is acknowledged within ten sweeps");
            await SweepAsync(a, b, toB, toA);
        }

        var resentBefore = Status(a).Resent;
        var offeredBefore = toB.Counters.BytesOffered + toA.Counters.BytesOffered;
        output.WriteLine($"learned round trip {Status(a).SmoothedRoundTrip}, timeout {Status(a).RetransmitTimeout}, {resentBefore} resent while learning");

        for (var i = 0; i < MeasuredSweeps; i++)
        {
            await SendAsync(a, next++);
            await SweepAsync(a, b, toB, toA);
        }

        for (var sweeps = 0; Status(a).InFlight > 0; sweeps++)
        {
            Assert.True(sweeps < 4, "the last messages are acknowledged within four more sweeps");
            await SweepAsync(a, b, toB, toA);
        }

        var offered = toB.Counters.BytesOffered + toA.Counters.BytesOffered - offeredBefore;
        var ratio = (double)offered / (MeasuredSweeps * (long)MessageBytes);
        output.WriteLine($"{MeasuredSweeps} sweeps: {offered} file bytes for {MeasuredSweeps * (long)MessageBytes} payload bytes, {ratio:F4} per payload byte");
        Assert.Equal(resentBefore, Status(a).Resent);
        Assert.InRange(ratio, 1.0, 1.05);

        await Eventually.TrueAsync(() => Count(received) == next, Wait, "site-b took in every message");
        await stop.CancelAsync();
        await reader;
        Assert.Equal(Enumerable.Range(0, next).Select(i => (byte)i), received);
    }

    // One sweep of the mirror: what the nodes wrote crosses, the receivers take it in, and the acks they
    // owe are written (after the ack delay) before the next sweep.
    private async Task SweepAsync(Layer1Node a, Layer1Node b, FaultInjectingFolderPipe toB, FaultInjectingFolderPipe toA)
    {
        var sweeps = toB.SweepsDone + 1;
        var receivedAtB = Status(b).FilesReceived;
        _time.Advance(Sweep);
        await Eventually.TrueAsync(
            () => toB.SweepsDone == sweeps && toA.SweepsDone == sweeps && toB.CopiesInFlight == 0 && toA.CopiesInFlight == 0 && Empty(b) && Empty(a),
            Wait,
            "the sweep's files cross and are taken in");
        await Eventually.TrueAsync(() => Status(b).Handled == Status(b).Delivered, Wait, "site-b handled what it took in");
        var written = Status(b).FilesWritten;
        var owesAck = Status(b).FilesReceived > receivedAtB;
        _time.Advance(TimeSpan.FromMilliseconds(50));
        if (owesAck)
        {
            await Eventually.TrueAsync(() => Status(b).FilesWritten > written, Wait, "site-b writes its ack");
        }
    }

    private static async Task SendAsync(Layer1Node a, byte tag)
    {
        var before = Status(a).FileBytesWritten;
        var payload = new byte[MessageBytes];
        Array.Fill(payload, tag);
        await a.SendAsync("site-b", payload);
        await Eventually.TrueAsync(() => Status(a).FileBytesWritten - before >= MessageBytes, Wait, "site-a writes the message at once");
    }

    private static async Task ReadAllAsync(Layer1Node node, List<byte> received, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in node.ReadAllAsync("site-a", cancellationToken))
            {
                Assert.Equal(MessageBytes, message.Payload.Length);
                lock (received)
                {
                    received.Add(message.Payload.Span[0]);
                }

                await node.MarkHandledAsync(message, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static int Count(List<byte> received)
    {
        lock (received)
        {
            return received.Count;
        }
    }

    private static PeerStatus Status(Layer1Node node) => node.GetStatus().Peers.Single();

    private bool Empty(Layer1Node node) => Directory.GetFiles(_folder.Sub(node.NodeId == "site-a" ? "a-in" : "b-in")).Length == 0;

    private Layer1Options Options(string side) => new()
    {
        StateDirectory = _folder.Sub($"{side}-state"),
        Outbox = _folder.Sub($"{side}-out"),
        Inbox = _folder.Sub($"{side}-in"),
        MaxFileBytes = 4 * 1024 * 1024,
        PollInterval = TimeSpan.FromMilliseconds(200),
    };
}
