using Relay.Layer1.Channels;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;
using Relay.Layer1.State;
using Relay.Layer1.Tests.Support;
using Relay.Tests.Shared;

namespace Relay.Layer1.Tests.Channels;

/// <summary>
/// Fragments held beyond <see cref="Layer1Options.MaxHeldInMemoryBytes"/> wait in spill files under
/// the state directory: the receiving channel fed fragments directly, out of order, on an in-memory
/// file system that can fail as a full disk does.
/// </summary>
public sealed class HeldOnDiskTests : IAsyncDisposable
{
    private const string Peer = "site-a";
    private const int FragmentBytes = 20_000;

    // Three fragments fit, a fourth does not.
    private const long InMemoryBound = 64 * 1024;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly TemporaryFolder _state = new();
    private readonly FaultyFileSystem _fileSystem = new() { Affects = path => path.Contains("held", StringComparison.Ordinal) };
    private readonly EventRecordingLogger _logger = new();
    private readonly List<InboundChannel> _channels = [];
    private readonly ChannelCounters _counters = new();
    private StateStore? _store;

    private string HeldFolder => Path.Combine(_state.Path, "held", Peer);

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _state.Dispose();
    }

    [Fact]
    public async Task FragmentsBeyondTheMemoryBound_WaitOnDisk_AndAreDeliveredWholeAndInOrder()
    {
        var channel = Open();
        var p2 = Payload(2);
        var (p3a, p3b, p3c) = (Payload(3), Payload(4), Payload(5));

        // Sequence 1 is lost; what follows it fills memory, then the disk. Message 3–5 is split between the two.
        channel.Accept([Whole(2, p2), Fragment(3, FragmentFlags.First, p3a)]);
        channel.Accept([Fragment(4, FragmentFlags.None, p3b), Fragment(5, FragmentFlags.Last, p3c)]);
        channel.Accept([Whole(6, Payload(6)), Whole(7, Payload(7)), Whole(8, Payload(8))]);

        Assert.False(channel.Deliveries.TryPeek(out _), "nothing passes the gap");
        var held = channel.Snapshot();
        Assert.Equal(7, held.Held);
        Assert.Equal(7L * FragmentBytes, held.HeldBytes);
        Assert.Equal(4L * FragmentBytes, held.HeldOnDiskBytes);
        var spill = Assert.Single(_fileSystem.Directory.GetFiles(HeldFolder));
        Assert.Equal(4L * FragmentBytes, _fileSystem.FileInfo.New(spill).Length);

        // The fragment the stream waits for goes to memory though memory is full: it is delivered at once.
        var p1 = Payload(1);
        channel.Accept([Whole(1, p1)]);
        Assert.Equal(4L * FragmentBytes, channel.Snapshot().HeldOnDiskBytes);
        Assert.Equal(4L * FragmentBytes, _fileSystem.FileInfo.New(spill).Length);

        await ReceiveAndHandleAsync(channel, 1, 1, p1);
        await ReceiveAndHandleAsync(channel, 2, 2, p2);
        await ReceiveAndHandleAsync(channel, 3, 5, [.. p3a, .. p3b, .. p3c]);
        for (var sequence = 6; sequence <= 8; sequence++)
        {
            await ReceiveAndHandleAsync(channel, sequence, sequence, Payload(sequence));
        }

        var after = channel.Snapshot();
        Assert.Equal((0, 0L, 0L), (after.Held, after.HeldBytes, after.HeldOnDiskBytes));
        Assert.Empty(_fileSystem.Directory.GetFiles(HeldFolder));
    }

    [Fact]
    public async Task MessagesOnDisk_AreReadBackOnlyAsTheApplicationMakesRoom()
    {
        var channel = Open();
        channel.Accept([.. Enumerable.Range(2, 7).Select(sequence => Whole(sequence, Payload(sequence)))]);
        Assert.Equal(4L * FragmentBytes, channel.Snapshot().HeldOnDiskBytes);

        channel.Accept([Whole(1, Payload(1))]);

        // Four delivered from memory; the rest wait on disk until handled messages free memory.
        var delivered = new List<ReceivedMessage>();
        while (channel.Deliveries.TryRead(out var message))
        {
            delivered.Add(message);
        }

        Assert.Equal([1L, 2, 3, 4], delivered.Select(message => message.Sequence));
        Assert.Equal(4L * FragmentBytes, channel.Snapshot().HeldOnDiskBytes);

        foreach (var message in delivered)
        {
            await channel.MarkHandledAsync(message, CancellationToken.None);
        }

        for (var sequence = 5; sequence <= 8; sequence++)
        {
            await ReceiveAndHandleAsync(channel, sequence, sequence, Payload(sequence));
        }

        Assert.Empty(_fileSystem.Directory.GetFiles(HeldFolder));
    }

    [Fact]
    public void WhatAPreviousRunLeftInTheFolder_IsDeletedAtStart()
    {
        _fileSystem.Directory.CreateDirectory(HeldFolder);
        _fileSystem.File.WriteAllBytes(Path.Combine(HeldFolder, "0000000001.held"), new byte[1000]);
        _fileSystem.File.WriteAllBytes(Path.Combine(HeldFolder, "0000000002.held"), new byte[1000]);

        var channel = Open();

        Assert.Empty(_fileSystem.Directory.GetFiles(HeldFolder));
        channel.Accept([.. Enumerable.Range(2, 4).Select(sequence => Whole(sequence, Payload(sequence)))]);
        Assert.Single(_fileSystem.Directory.GetFiles(HeldFolder));
    }

    [Fact]
    public async Task FragmentThatCannotBeWritten_IsDroppedAndCounted_AndTakenWhenResent()
    {
        var channel = Open();
        channel.Accept([Whole(2, Payload(2)), Whole(3, Payload(3)), Whole(4, Payload(4))]);

        // Memory is full: 5 would go to disk, and the disk is full.
        _fileSystem.FailWrites(1);
        Assert.Equal(0, channel.Accept([Whole(5, Payload(5))]));

        Assert.Contains(Peer, await _logger.NextAsync(1204), StringComparison.Ordinal);
        Assert.Equal(1, _fileSystem.WritesFailed);
        Assert.Equal(1, Interlocked.Read(ref _counters.HeldWritesFailed));
        var dropped = channel.Snapshot();
        Assert.Equal((3, 0L), (dropped.Held, dropped.HeldOnDiskBytes));

        // Not acknowledged as held, so the sender sends it again; this time the disk takes it.
        Assert.DoesNotContain(channel.CurrentAck().Ranges, range => range.From <= 5 && 5 <= range.To);
        Assert.Equal(1, channel.Accept([Whole(5, Payload(5))]));
        Assert.Equal(FragmentBytes, channel.Snapshot().HeldOnDiskBytes);

        channel.Accept([Whole(1, Payload(1))]);
        for (var sequence = 1; sequence <= 5; sequence++)
        {
            await ReceiveAndHandleAsync(channel, sequence, sequence, Payload(sequence));
        }

        Assert.Empty(_fileSystem.Directory.GetFiles(HeldFolder));
    }

    [Fact]
    public async Task FragmentWhoseBytesCannotBeReadBack_IsForgotten_AndTakenWhenResent()
    {
        var channel = Open();

        // The spill file is opened by the first fragment that goes to disk, 5; its first read fails.
        _fileSystem.FailReads(1);
        channel.Accept([.. Enumerable.Range(2, 5).Select(sequence => Whole(sequence, Payload(sequence)))]);
        Assert.Equal(2L * FragmentBytes, channel.Snapshot().HeldOnDiskBytes);
        channel.Accept([Whole(1, Payload(1))]);
        for (var sequence = 1; sequence <= 4; sequence++)
        {
            await ReceiveAndHandleAsync(channel, sequence, sequence, Payload(sequence));
        }

        Assert.Contains(Peer, await _logger.NextAsync(1205), StringComparison.Ordinal);
        Assert.Equal(1, _fileSystem.ReadsFailed);
        Assert.Equal(1, Interlocked.Read(ref _counters.HeldReadsFailed));
        var forgotten = channel.Snapshot();
        Assert.Equal((1L, FragmentBytes * 1L, 1L), (forgotten.Held, forgotten.HeldOnDiskBytes, forgotten.Missing));
        Assert.Equal([new SequenceRange(6, 6)], channel.CurrentAck().Ranges);

        // The sender sends 5 again; 6 reads back from disk behind it.
        Assert.Equal(1, channel.Accept([Whole(5, Payload(5))]));
        await ReceiveAndHandleAsync(channel, 5, 5, Payload(5));
        await ReceiveAndHandleAsync(channel, 6, 6, Payload(6));
        Assert.Empty(_fileSystem.Directory.GetFiles(HeldFolder));
    }

    private InboundChannel Open()
    {
        var options = TestNodes.Options(_state.Path, "/exchange/out", "/exchange/in", maxFileBytes: 32 * 1024);
        options.MaxHeldInMemoryBytes = InMemoryBound;
        _store ??= StateStore.Open(_state.Path);
        var context = new NodeContext(
            "site-b",
            options,
            _fileSystem,
            TimeProvider.System,
            new SegmentCodec(TestKeys.SiteB, _ => null),
            _store,
            new LamportClock(0),
            _logger,
            new Layer1Metrics(null));
        var channel = new InboundChannel(context, Peer, new SequenceRangeSet(), ackEpoch: 1, _counters);
        _channels.Add(channel);
        return channel;
    }

    private static async Task ReceiveAndHandleAsync(InboundChannel channel, long first, long last, byte[] expected)
    {
        using var cancellation = new CancellationTokenSource(Wait);
        var message = await channel.Deliveries.ReadAsync(cancellation.Token);
        Assert.Equal((first, last), (message.Sequence, message.LastSequence));
        Assert.Equal(expected, message.Payload.ToArray());
        await channel.MarkHandledAsync(message, cancellation.Token);
    }

    private static byte[] Payload(int sequence) => TestPayloads.Create(seed: 11, sequence, FragmentBytes);

    private static ReceivedFragment Whole(long sequence, byte[] data) => Fragment(sequence, FragmentFlags.Whole, data);

    private static ReceivedFragment Fragment(long sequence, FragmentFlags flags, byte[] data) => new(sequence, flags, sequence, data);
}
