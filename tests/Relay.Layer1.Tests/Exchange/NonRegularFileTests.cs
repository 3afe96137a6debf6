using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Relay.Layer1.Format;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Exchange;

public sealed class NonRegularFileTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task FifoSocketAndLinks_AreSkippedCountedOnceAndLeftInPlace_WhileMessagesFlow()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var shared = _folder.Sub("shared");

        // The sender opens first: at start-up it deletes leftovers under its own name.
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), shared, shared), TestKeys.SiteA, TestKeys.SiteB);
        var fifo = Path.Combine(shared, SegmentFileName.Create("site-a", "site-b", 1));
        MakeFifo(fifo);
        var linkToFifo = Path.Combine(shared, SegmentFileName.Create("site-a", "site-b", 2));
        File.CreateSymbolicLink(linkToFifo, fifo);
        var socketPath = Path.Combine(shared, SegmentFileName.Create("site-a", "site-b", 3));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), shared, shared), TestKeys.SiteB, TestKeys.SiteA);

        // Messages still flow: the inbox loop was not blocked by the FIFO.
        for (var i = 0; i < 3; i++)
        {
            await a.SendAsync("site-b", Encoding.UTF8.GetBytes($"m{i}"));
        }

        for (var i = 0; i < 3; i++)
        {
            var message = await b.ReceiveWithinAsync("site-a", Wait);
            Assert.Equal($"m{i}", Encoding.UTF8.GetString(message.Payload.Span));
            await b.MarkHandledAsync(message);
        }

        await Eventually.TrueAsync(
            () => Rejected(b) == 3, Wait, "the FIFO, the link and the socket are each counted");

        // Several more listings pass; nothing is counted twice and nothing is deleted.
        var listings = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        while (DateTime.UtcNow < deadline && listings < 100)
        {
            await a.SendAsync("site-b", Encoding.UTF8.GetBytes("more"));
            var message = await b.ReceiveWithinAsync("site-a", Wait);
            await b.MarkHandledAsync(message);
            listings++;
        }

        Assert.Equal(3, Rejected(b));
        Assert.True(File.Exists(fifo));
        Assert.NotNull(new FileInfo(linkToFifo).LinkTarget);
        Assert.True(File.Exists(socketPath));
    }

    [Fact]
    public async Task FifoWithAWriter_DoesNotKillTheInbox()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var shared = _folder.Sub("shared");

        // The sender opens first: at start-up it deletes leftovers under its own name.
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), shared, shared), TestKeys.SiteA, TestKeys.SiteB);
        var fifo = Path.Combine(shared, SegmentFileName.Create("site-a", "site-b", 1));
        MakeFifo(fifo);

        // Read-write opens a FIFO at once on Linux.
        using var writer = File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), shared, shared), TestKeys.SiteB, TestKeys.SiteA);
        await a.SendAsync("site-b", Encoding.UTF8.GetBytes("after the fifo"));
        var message = await b.ReceiveWithinAsync("site-a", Wait);
        Assert.Equal("after the fifo", Encoding.UTF8.GetString(message.Payload.Span));
        Assert.Equal(1, Rejected(b));
    }

    private static long Rejected(Layer1Node node) =>
        node.GetStatus().Peers.Single().Rejected.GetValueOrDefault(FileRejectReason.NotRegularFile);

    private static void MakeFifo(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
