namespace Relay.Layer1.Faults;

/// <summary>What a fault pipe has done so far; read while it runs.</summary>
public sealed class FaultPipeCounters
{
    private long _seen;
    private long _delivered;
    private long _lost;
    private long _duplicated;
    private long _truncated;
    private long _corrupted;
    private long _replayed;
    private long _errors;
    private long _dropped;
    private long _cut;
    private long _blocked;
    private long _bytesOffered;
    private long _bytesDelivered;

    /// <summary>Files taken from the source folder.</summary>
    public long Seen => Interlocked.Read(ref _seen);

    /// <summary>Copies written to the destination folder (duplicates and replays included).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    public long Lost => Interlocked.Read(ref _lost);

    public long Duplicated => Interlocked.Read(ref _duplicated);

    public long Truncated => Interlocked.Read(ref _truncated);

    public long Corrupted => Interlocked.Read(ref _corrupted);

    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Delayed copies still waiting when the pipe stopped, so never delivered.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Copies cut to <see cref="FaultProfile.MaxFileBytes"/>.</summary>
    public long CutToMaxSize => Interlocked.Read(ref _cut);

    /// <summary>Files discarded because the direction is <see cref="FaultProfile.Blocked"/>.</summary>
    public long Blocked => Interlocked.Read(ref _blocked);

    /// <summary>Bytes of the files taken from the source folder.</summary>
    public long BytesOffered => Interlocked.Read(ref _bytesOffered);

    /// <summary>Bytes written to the destination folder (duplicates and replays included).</summary>
    public long BytesDelivered => Interlocked.Read(ref _bytesDelivered);

    /// <summary>Files that could not be read or written (logged, never fatal).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    internal void AddSeen(long bytes)
    {
        Interlocked.Increment(ref _seen);
        Interlocked.Add(ref _bytesOffered, bytes);
    }

    internal void AddDelivered(long bytes)
    {
        Interlocked.Increment(ref _delivered);
        Interlocked.Add(ref _bytesDelivered, bytes);
    }

    internal void AddCut() => Interlocked.Increment(ref _cut);

    internal void AddBlocked() => Interlocked.Increment(ref _blocked);

    internal void AddLost() => Interlocked.Increment(ref _lost);

    internal void AddDuplicated() => Interlocked.Increment(ref _duplicated);

    internal void AddTruncated() => Interlocked.Increment(ref _truncated);

    internal void AddCorrupted() => Interlocked.Increment(ref _corrupted);

    internal void AddReplayed() => Interlocked.Increment(ref _replayed);

    internal void AddError() => Interlocked.Increment(ref _errors);

    internal void AddDropped() => Interlocked.Increment(ref _dropped);

    public override string ToString() =>
        $"seen {Seen}, delivered {Delivered}, lost {Lost}, duplicated {Duplicated}, truncated {Truncated}, corrupted {Corrupted}, replayed {Replayed}, cut to size {CutToMaxSize}, blocked {Blocked}, dropped {Dropped}, errors {Errors}; bytes offered {BytesOffered}, delivered {BytesDelivered}";
}
