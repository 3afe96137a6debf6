using System.Collections.Concurrent;
using Relay.Layer1.Faults;
using Relay.Layer1.Format;
using Relay.Layer1.OneWay;

namespace Relay.Layer1.Tests.Support;

/// <summary>
/// site-a configured to only send to site-b, and site-b to only receive from site-a. Files go from
/// a's outbox to b's inbox through a fault pipe, or, without one, only when the test carries them
/// (<see cref="Carry"/>, <see cref="Drop"/>), so a test can lose exactly the files it means to.
/// The receiver takes every message, keeps a copy and marks it handled.
/// </summary>
internal sealed class OneWayLink : IAsyncDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly OneWaySettings _settings;
    private readonly FaultInjectingFolderPipe? _pipe;
    private readonly FaultInjectingFolderPipe? _back;
    private CancellationTokenSource _stopReceiving = new();
    private Task _receiving = Task.CompletedTask;

    public OneWayLink(OneWaySettings settings, FaultProfile? profile = null, int maxFileBytes = 1024 * 1024)
    {
        _settings = settings;
        SenderOutbox = _folder.Sub("a-out");
        ReceiverInbox = _folder.Sub("b-in");
        ReceiverOutbox = _folder.Sub("b-out");
        SenderInbox = _folder.Sub("a-in");
        SenderOptions = TestNodes.Options(_folder.Sub("state-a"), SenderOutbox, SenderInbox, maxFileBytes);
        ReceiverOptions = TestNodes.Options(_folder.Sub("state-b"), ReceiverOutbox, ReceiverInbox, maxFileBytes);
        if (profile is not null)
        {
            _pipe = new FaultInjectingFolderPipe(new System.IO.Abstractions.FileSystem(), SenderOutbox, ReceiverInbox, profile);

            // The pipe's one-way mode, as relay pipe --one-way runs it: whatever would go back is discarded.
            _back = new FaultInjectingFolderPipe(new System.IO.Abstractions.FileSystem(), ReceiverOutbox, SenderInbox, profile with { Seed = profile.Seed + 1, Blocked = true });
        }

        Sender = OpenSender();
        Receiver = OpenReceiver();
    }

    public string SenderOutbox { get; }

    public string ReceiverInbox { get; }

    public string ReceiverOutbox { get; }

    public string SenderInbox { get; }

    public Layer1Options SenderOptions { get; }

    public Layer1Options ReceiverOptions { get; }

    public Layer1Node Sender { get; private set; }

    public Layer1Node Receiver { get; private set; }

    public FaultInjectingFolderPipe? Pipe => _pipe;

    /// <summary>The blocked reverse direction, when there is a pipe: it counts what it discards.</summary>
    public FaultInjectingFolderPipe? Back => _back;

    /// <summary>Payloads in the order the receiver was given them, every one marked handled.</summary>
    public ConcurrentQueue<byte[]> Received { get; } = new();

    public PeerStatus SenderStatus => Sender.GetStatus().Peers.Single();

    public PeerStatus ReceiverStatus => Receiver.GetStatus().Peers.Single();

    public async Task StartAsync()
    {
        if (_pipe is not null)
        {
            await _pipe.StartAsync(CancellationToken.None);
            await _back!.StartAsync(CancellationToken.None);
        }

        StartReceiving();
    }

    /// <summary>Final-named files in the sender's outbox, oldest file number first.</summary>
    public IReadOnlyList<string> WaitingFiles() =>
        Directory.EnumerateFiles(SenderOutbox)
            .Select(Path.GetFileName)
            .Where(name => !SegmentFileName.IsTemporary(name!) && SegmentFileName.TryParse(name!, out _, out _, out _))
            .Order(StringComparer.Ordinal)
            .ToList()!;

    /// <summary>Moves the named files (all waiting ones when none are named) into the receiver's inbox.</summary>
    public int Carry(IEnumerable<string>? names = null)
    {
        var moved = 0;
        foreach (var name in names ?? WaitingFiles())
        {
            File.Move(Path.Combine(SenderOutbox, name), Path.Combine(ReceiverInbox, name));
            moved++;
        }

        return moved;
    }

    /// <summary>Deletes every waiting file: the link lost them.</summary>
    public int Drop()
    {
        var names = WaitingFiles();
        foreach (var name in names)
        {
            File.Delete(Path.Combine(SenderOutbox, name));
        }

        return names.Count;
    }

    public async Task RestartSenderAsync()
    {
        await Sender.DisposeAsync();
        Sender = OpenSender();
    }

    public async Task StopReceiverAsync()
    {
        await _stopReceiving.CancelAsync();
        await _receiving;
        await Receiver.DisposeAsync();
    }

    public void StartReceiver()
    {
        Receiver = OpenReceiver();
        StartReceiving();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopReceiving.CancelAsync();
        await _receiving;
        if (_pipe is not null)
        {
            await _pipe.DisposeAsync();
            await _back!.DisposeAsync();
        }

        await Sender.DisposeAsync();
        await Receiver.DisposeAsync();
        _folder.Dispose();
    }

    private Layer1Node OpenSender() =>
        Layer1Node.Open(SenderOptions, TestKeys.SiteA, [TestKeys.SiteB.PublicKeys.WithDirection(PeerDirection.SendOnly).WithOneWay(_settings)]);

    private Layer1Node OpenReceiver() =>
        Layer1Node.Open(ReceiverOptions, TestKeys.SiteB, [TestKeys.SiteA.PublicKeys.WithDirection(PeerDirection.ReceiveOnly)]);

    private void StartReceiving()
    {
        _stopReceiving = new CancellationTokenSource();
        var node = Receiver;
        var token = _stopReceiving.Token;
        _receiving = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in node.ReadAllAsync(TestKeys.SiteA.NodeId, token))
                {
                    Received.Enqueue(message.Payload.ToArray());
                    await node.MarkHandledAsync(message, CancellationToken.None);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped by the test.
            }
        });
    }
}
