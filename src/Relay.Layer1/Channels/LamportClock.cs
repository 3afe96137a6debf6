namespace Relay.Layer1.Channels;

/// <summary>
/// The node's Lamport clock: every sent message takes a new tick, every received file or message
/// moves the clock past its stamp, so a message sent after handling another is stamped later than it.
/// </summary>
internal sealed class LamportClock(long start)
{
    private long _value = start;

    public long Current => Interlocked.Read(ref _value);

    public long Tick() => Interlocked.Increment(ref _value);

    public void Observe(long remote)
    {
        var current = Interlocked.Read(ref _value);
        while (remote > current)
        {
            var seen = Interlocked.CompareExchange(ref _value, remote, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
