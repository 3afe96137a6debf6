using System.Text;
using Relay.Layer1.Tests.Support;
using Relay.Tests.Shared;

namespace Relay.Layer1.Tests.Channels;

/// <summary>
/// The outbox on an in-memory file system that fails as real disks do: a rename that throws, a full
/// disk, a write cut off part way. Each time the file is written again, the message arrives once
/// and whole, and nothing half-written is left where a mirror could pick it up.
/// </summary>
public sealed class OutboxFaultTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string Shared = "/exchange/shared";
    private readonly TemporaryFolder _state = new();
    private readonly FaultyFileSystem _fileSystem = new() { Affects = path => Path.GetFileName(path).Contains("site-a_site-b_", StringComparison.Ordinal) };

    public void Dispose() => _state.Dispose();

    [Fact]
    public async Task RenameThatThrows_FileIsWrittenAgain_AndTheMessageArrivesOnce()
    {
        _fileSystem.FailRenames(3);
        await RunAsync(Encoding.UTF8.GetBytes("renamed at last"));

        Assert.Equal(3, _fileSystem.RenamesFailed);
    }

    [Fact]
    public async Task FullDisk_FilesAreWrittenOnceThereIsRoom_AndTheFailureShowsInTheStatus()
    {
        _fileSystem.FailWrites(4);
        var status = await RunAsync(Encoding.UTF8.GetBytes("after the disk filled"));

        Assert.Equal(4, _fileSystem.WritesFailed);
        Assert.Equal(4, status.FileWritesFailed);
        Assert.Contains("No space left on device", status.LastWriteFailure!.Detail, StringComparison.Ordinal);
        Assert.True(status.LastFileWritten > status.LastWriteFailure.At, "a file went out after the last failure");
    }

    [Fact]
    public async Task WriteCutOffPartWay_LeavesNoPartialFile_AndTheMessageArrivesWhole()
    {
        // Several body frames: the cut falls inside the body, after the envelope.
        _fileSystem.FailWrites(2, bytesBeforeFailure: 40_000);
        var payload = TestPayloads.Create(seed: 7, index: 0, length: 48 * 1024);
        await RunAsync(payload);

        Assert.Equal(2, _fileSystem.WritesFailed);
    }

    private async Task<PeerStatus> RunAsync(byte[] payload)
    {
        var services = new Layer1NodeServices { FileSystem = _fileSystem };
        await using var a = Layer1Node.Open(TestNodes.Options(_state.Sub("a"), Shared, Shared), TestKeys.SiteA, [TestKeys.SiteB.PublicKeys], services);
        await using var b = Layer1Node.Open(TestNodes.Options(_state.Sub("b"), Shared, Shared), TestKeys.SiteB, [TestKeys.SiteA.PublicKeys], services);

        var sent = await a.SendAsync("site-b", payload);
        var received = await b.ReceiveWithinAsync("site-a", Wait);
        Assert.Equal(payload, received.Payload.ToArray());
        await b.MarkHandledAsync(received);
        await sent.Acknowledged.WaitAsync(Wait);

        // Delivered once: the next message is the one sent after it, not a second copy.
        await a.SendAsync("site-b", Encoding.UTF8.GetBytes("next"));
        var next = await b.ReceiveWithinAsync("site-a", Wait);
        Assert.Equal("next", Encoding.UTF8.GetString(next.Payload.Span));
        Assert.Equal(sent.LastSequence + 1, next.Sequence);

        var temporary = _fileSystem.Directory.EnumerateFiles(Shared).Select(Path.GetFileName).Where(name => name!.StartsWith('.')).ToList();
        Assert.Empty(temporary);
        return a.GetStatus().Peers.Single();
    }
}
