using System.Collections.Concurrent;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.Layer1.Tests.Support;

/// <summary>
/// Two nodes exchanging numbered messages in both directions through fault-injecting pipes. Each
/// side checks that what it receives is exactly the other side's sequence, in order, byte for byte;
/// the only repeat it tolerates is the redelivery, after a restart, of a message whose handled mark
/// had not been committed.
/// </summary>
internal sealed class FaultRun : IAsyncDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly FaultInjectingFolderPipe _aToB;
    private readonly FaultInjectingFolderPipe _bToA;

    /// <param name="tune">Changes both nodes' settings from the tests' defaults.</param>
    public FaultRun(FaultProfile profile, int[] sizesFromA, int[] sizesFromB, Action<Layer1Options>? tune = null)
    {
        var aOut = _folder.Sub("a-out");
        var bIn = _folder.Sub("b-in");
        var bOut = _folder.Sub("b-out");
        var aIn = _folder.Sub("a-in");
        _aToB = new FaultInjectingFolderPipe(new System.IO.Abstractions.FileSystem(), aOut, bIn, profile);
        _bToA = new FaultInjectingFolderPipe(new System.IO.Abstractions.FileSystem(), bOut, aIn, profile with { Seed = profile.Seed + 1 });
        var aOptions = TestNodes.Options(_folder.Sub("state-a"), aOut, aIn);
        var bOptions = TestNodes.Options(_folder.Sub("state-b"), bOut, bIn);
        tune?.Invoke(aOptions);
        tune?.Invoke(bOptions);
        A = new Side(aOptions, TestKeys.SiteA, TestKeys.SiteB, seed: 10, sizesFromA, sizesFromB);
        B = new Side(bOptions, TestKeys.SiteB, TestKeys.SiteA, seed: 20, sizesFromB, sizesFromA);
    }

    public Side A { get; }

    public Side B { get; }

    public FaultInjectingFolderPipe AToB => _aToB;

    public FaultInjectingFolderPipe BToA => _bToA;

    public async Task StartAsync()
    {
        await _aToB.StartAsync(CancellationToken.None);
        await _bToA.StartAsync(CancellationToken.None);
        A.Start();
        B.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await _aToB.DisposeAsync();
        await _bToA.DisposeAsync();
        _folder.Dispose();
    }

    internal sealed class Side : IAsyncDisposable
    {
        private readonly Layer1Options _options;
        private readonly NodeKeyPair _self;
        private readonly NodeKeyPair _peer;
        private readonly int _seed;
        private readonly int _peerSeed;
        private readonly int[] _sendSizes;
        private readonly int[] _receiveSizes;
        private readonly SemaphoreSlim _sendTurn = new(1);
        private readonly CancellationTokenSource _stopSending = new();
        private readonly TaskCompletionSource _allReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Layer1Node _node;
        private Task _sender = Task.CompletedTask;
        private Task _receiver = Task.CompletedTask;
        private CancellationTokenSource _stopReceiving = new();
        private int _nextExpected;
        private int _unmarked = -1;
        private int _sent;
        private long _rejectedBeforeRestarts;

        public Side(Layer1Options options, NodeKeyPair self, NodeKeyPair peer, int seed, int[] sendSizes, int[] receiveSizes)
        {
            _options = options;
            _self = self;
            _peer = peer;
            _seed = seed;
            _peerSeed = seed == 10 ? 20 : 10;
            _sendSizes = sendSizes;
            _receiveSizes = receiveSizes;
            _node = TestNodes.Open(options, self, peer);
        }

        public ConcurrentQueue<string> Errors { get; } = new();

        public int Received => Volatile.Read(ref _nextExpected);

        public int Sent => Volatile.Read(ref _sent);

        public int Restarts { get; private set; }

        /// <summary>Files the node dropped, summed over every run of it (a node's status starts from zero when it opens).</summary>
        public long Rejected => _rejectedBeforeRestarts + _node.GetStatus().Peers.Single().Rejected.Values.Sum();

        public Layer1Node Node => _node;

        public string StateDirectory => _options.StateDirectory;

        public Task AllReceived => _allReceived.Task;

        public void Start()
        {
            _sender = Task.Run(SendAllAsync);
            _receiver = Task.Run(() => ReceiveAllAsync(_node, _stopReceiving.Token));
        }

        /// <summary>Disposes the node mid-run and reopens it from its state directory.</summary>
        public async Task RestartAsync()
        {
            // Between two sends, so the sender never has to guess whether a send it was waiting on was queued.
            await _sendTurn.WaitAsync();
            try
            {
                // The receiver is not waited for: it may be between taking a message and committing its handled mark.
                await _stopReceiving.CancelAsync();
                _rejectedBeforeRestarts += _node.GetStatus().Peers.Single().Rejected.Values.Sum();
                await _node.DisposeAsync();
                await _receiver;
                _node = TestNodes.Open(_options, _self, _peer);
                _stopReceiving = new CancellationTokenSource();
                _receiver = Task.Run(() => ReceiveAllAsync(_node, _stopReceiving.Token));
                Restarts++;
            }
            finally
            {
                _sendTurn.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stopSending.CancelAsync();
            await _stopReceiving.CancelAsync();
            await Task.WhenAll(_sender, _receiver).ContinueWith(_ => { }, TaskScheduler.Default);
            await _node.DisposeAsync();
        }

        private async Task SendAllAsync()
        {
            for (var i = 0; i < _sendSizes.Length; i++)
            {
                await _sendTurn.WaitAsync(_stopSending.Token);
                try
                {
                    await _node.SendAsync(_peer.NodeId, TestPayloads.Create(_seed, i, _sendSizes[i]), _stopSending.Token);
                    Interlocked.Increment(ref _sent);
                }
                finally
                {
                    _sendTurn.Release();
                }
            }
        }

        private async Task ReceiveAllAsync(Layer1Node node, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var message in node.ReadAllAsync(_peer.NodeId, cancellationToken))
                {
                    var payload = message.Payload.Span;
                    var expected = _nextExpected;
                    if (expected < _receiveSizes.Length && payload.SequenceEqual(TestPayloads.Create(_peerSeed, expected, _receiveSizes[expected])))
                    {
                        _unmarked = expected;
                        Volatile.Write(ref _nextExpected, expected + 1);
                    }
                    else if (_unmarked >= 0 && _unmarked == expected - 1
                        && payload.SequenceEqual(TestPayloads.Create(_peerSeed, _unmarked, _receiveSizes[_unmarked])))
                    {
                        // The redelivery of the one message whose handled mark did not commit before a restart.
                    }
                    else
                    {
                        Errors.Enqueue($"{_self.NodeId}: expected message {expected}, got {payload.Length} bytes at sequence {message.Sequence}");
                        return;
                    }

                    await node.MarkHandledAsync(message, CancellationToken.None);
                    _unmarked = -1;
                    if (_nextExpected == _receiveSizes.Length)
                    {
                        _allReceived.TrySetResult();
                    }
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Stopped mid-message by a restart; the message comes again unless its mark committed.
            }
        }
    }
}
