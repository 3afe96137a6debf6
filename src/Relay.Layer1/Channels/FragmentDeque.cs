namespace Relay.Layer1.Channels;

/// <summary>
/// The unacknowledged fragments of a channel: contiguous sequence numbers from
/// <see cref="FirstSequence"/>, appended at the end and dropped from the front as acks arrive.
/// Lookup by sequence number is O(1).
/// </summary>
internal sealed class FragmentDeque
{
    private readonly List<OutboundFragment> _items = [];
    private int _head;

    public FragmentDeque(long firstSequence) => FirstSequence = firstSequence;

    public long FirstSequence { get; private set; }

    public int Count => _items.Count - _head;

    public long EndSequence => FirstSequence + Count;

    public OutboundFragment this[long sequence] => _items[_head + (int)(sequence - FirstSequence)];

    public bool ContainsSequence(long sequence) => sequence >= FirstSequence && sequence < EndSequence;

    public void Append(OutboundFragment fragment)
    {
        if (fragment.Sequence != EndSequence)
        {
            throw new InvalidOperationException($"Fragment {fragment.Sequence} does not follow {EndSequence - 1}.");
        }

        _items.Add(fragment);
    }

    public OutboundFragment RemoveFirst()
    {
        var fragment = _items[_head];
        _items[_head] = null!;
        _head++;
        FirstSequence++;
        // Compact once the dead prefix dominates, so removal stays amortised O(1).
        if (_head > 1024 && _head > _items.Count / 2)
        {
            _items.RemoveRange(0, _head);
            _head = 0;
        }

        return fragment;
    }
}
