using System.IO.Abstractions;
using Relay.Layer1.Faults;
using Relay.Layer1.Tests.Support;
using Xunit.Abstractions;

namespace Relay.Layer1.Tests.Faults;

/// <summary>
/// A link narrower than the sender: without a bound, every queued byte would wait in the link and
/// every resend behind it. The sender finds the queue from the round trip and keeps it short.
/// </summary>
public sealed class NarrowLinkQueueTests(ITestOutputHelper output) : IDisposable
{
    private const int MessageBytes = 256 * 1024;
    private const int Messages = 160;

    // The application keeps this many unacknowledged, as a stream window would: far more than the link holds.
    private const int Outstanding = 64;
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task MoreDataThanTheLinkHolds_WaitsAtTheSender_SoTheRoundTripStaysNearTheLinksOwn()
    {
        var optionsA = Options("a");
        var optionsB = Options("b");

        // 8 MB/s: 16 MiB on the link would queue for 2 s, more than five times its delay.
        var link = new FaultProfile { BandwidthBytesPerSecond = 8_000_000, Latency = Latency };
        await using var toB = new FaultInjectingFolderPipe(new FileSystem(), optionsA.Outbox, optionsB.Inbox, link);
        await using var toA = new FaultInjectingFolderPipe(new FileSystem(), optionsB.Outbox, optionsA.Inbox, link with { Seed = 2 });
        await toB.StartAsync(CancellationToken.None);
        await toA.StartAsync(CancellationToken.None);
        await using var a = Layer1Node.Open(optionsA, TestKeys.SiteA, [TestKeys.SiteB.PublicKeys]);
        await using var b = Layer1Node.Open(optionsB, TestKeys.SiteB, [TestKeys.SiteA.PublicKeys]);
        using var stop = new CancellationTokenSource();
        var count = 0;
        var reader = Task.Run(async () =>
        {
            await foreach (var message in b.ReadAllAsync("site-a", stop.Token))
            {
                Assert.Equal((byte)count, message.Payload.Span[0]);
                Interlocked.Increment(ref count);
                await b.MarkHandledAsync(message, stop.Token);
            }
        });

        // One message first, so the link's own delay is measured before the burst.
        await (await a.SendAsync("site-b", Payload(0))).Acknowledged.WaitAsync(Wait);
        var sends = new List<Task>();
        for (var i = 1; i < Messages; i++)
        {
            if (sends.Count(send => !send.IsCompleted) >= Outstanding)
            {
                await Task.WhenAny(sends.Where(send => !send.IsCompleted)).WaitAsync(Wait);
            }

            sends.Add((await a.SendAsync("site-b", Payload(i))).Acknowledged);
        }

        await Task.WhenAll(sends).WaitAsync(Wait);
        var status = a.GetStatus().Peers.Single();
        output.WriteLine($"base {status.BaseRoundTrip}, smoothed {status.SmoothedRoundTrip}, window {status.LinkWindowBytes}, resent {status.Resent}");

        Assert.True(status.LinkWindowBytes < optionsA.MaxUnacknowledgedBytes, "the window was cut for the queue");
        Assert.True(status.BaseRoundTrip > 2 * Latency, "the base is the link's delay");
        Assert.True(status.SmoothedRoundTrip < 4 * status.BaseRoundTrip, $"the round trip ({status.SmoothedRoundTrip}) stays within four times the link's own ({status.BaseRoundTrip})");
        Assert.Equal(0, status.Resent);
        await Eventually.TrueAsync(() => Volatile.Read(ref count) == Messages, Wait, "site-b took in every message");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader);
    }

    private static byte[] Payload(int tag)
    {
        var payload = new byte[MessageBytes];
        Array.Fill(payload, (byte)tag);
        return payload;
    }

    private Layer1Options Options(string side) => new()
    {
        StateDirectory = _folder.Sub($"{side}-state"),
        Outbox = _folder.Sub($"{side}-out"),
        Inbox = _folder.Sub($"{side}-in"),
        MaxFileBytes = 512 * 1024,
        MaxHeldInMemoryBytes = 512 * 1024,
        PollInterval = TimeSpan.FromMilliseconds(200),
    };
}
