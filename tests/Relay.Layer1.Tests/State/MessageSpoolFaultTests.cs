using System.Text;
using Relay.Layer1.State;
using Relay.Layer1.Tests.Support;
using Relay.Tests.Shared;

namespace Relay.Layer1.Tests.State;

/// <summary>Large messages are spooled to a file before their rows commit; a full disk there fails the send and leaves nothing behind.</summary>
public sealed class MessageSpoolFaultTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string Shared = "/exchange/shared";
    private readonly TemporaryFolder _state = new();

    public void Dispose() => _state.Dispose();

    [Fact]
    public async Task DiskFullWhileSpooling_FailsTheSend_LeavesNoHalfFile_AndTheNextSendArrivesInItsPlace()
    {
        var fileSystem = new FaultyFileSystem { Affects = path => path.Contains("/spool/", StringComparison.Ordinal) };
        var services = new Layer1NodeServices { FileSystem = fileSystem };
        var spool = Path.Combine(_state.Sub("a"), "spool", "site-b");
        await using var a = Layer1Node.Open(TestNodes.Options(_state.Sub("a"), Shared, Shared), TestKeys.SiteA, [TestKeys.SiteB.PublicKeys], services);
        await using var b = Layer1Node.Open(TestNodes.Options(_state.Sub("b"), Shared, Shared), TestKeys.SiteB, [TestKeys.SiteA.PublicKeys], services);
        var large = TestPayloads.Create(seed: 3, index: 0, length: MessageSpool.Threshold * 2);

        fileSystem.FailWrites(1, bytesBeforeFailure: MessageSpool.Threshold);
        var failure = await Assert.ThrowsAsync<IOException>(() => a.SendAsync("site-b", large));
        Assert.Equal(FaultyFileSystem.DiskFullHResult, failure.HResult);
        Assert.Empty(fileSystem.Directory.EnumerateFiles(spool));

        // The failed send took no sequence number: the next message is the first the peer sees.
        var sent = await a.SendAsync("site-b", large);
        await a.SendAsync("site-b", Encoding.UTF8.GetBytes("small"));
        var first = await b.ReceiveWithinAsync("site-a", Wait);
        Assert.Equal(1, first.Sequence);
        Assert.Equal(large, first.Payload.ToArray());
        await b.MarkHandledAsync(first);
        var second = await b.ReceiveWithinAsync("site-a", Wait);
        Assert.Equal("small", Encoding.UTF8.GetString(second.Payload.Span));
        await b.MarkHandledAsync(second);

        // Acknowledged, the spooled copy goes too.
        await sent.Acknowledged.WaitAsync(Wait);
        await Eventually.TrueAsync(() => !fileSystem.Directory.EnumerateFiles(spool).Any(), Wait, "the spool file of an acknowledged message is deleted");
    }
}
