using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>What every channel of one node shares.</summary>
internal sealed class NodeContext(
    string nodeId,
    Layer1Options options,
    IFileSystem fileSystem,
    TimeProvider timeProvider,
    SegmentCodec codec,
    StateStore store,
    LamportClock clock,
    ILogger logger,
    Layer1Metrics metrics)
{
    private long _fileNumber = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    public string NodeId { get; } = nodeId;

    public Layer1Options Options { get; } = options;

    public IFileSystem FileSystem { get; } = fileSystem;

    public TimeProvider Time { get; } = timeProvider;

    public SegmentCodec Codec { get; } = codec;

    public StateStore Store { get; } = store;

    public LamportClock Clock { get; } = clock;

    public ILogger Logger { get; } = logger;

    public Layer1Metrics Metrics { get; } = metrics;

    /// <summary>File numbers only order a node's files for people reading the folder; they start from the clock so a restart keeps them rising.</summary>
    public long NextFileNumber() => Interlocked.Increment(ref _fileNumber);
}
