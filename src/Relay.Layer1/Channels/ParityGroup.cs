using System.Buffers;
using System.Security.Cryptography;
using Relay.Layer1.Format;

namespace Relay.Layer1.Channels;

/// <summary>
/// The data files of a send-only channel since its last parity file: each body's length and
/// SHA-256, and the running XOR of the bodies (each zero-padded to the longest). One pooled buffer,
/// no larger than the largest body, whatever the group's size.
/// </summary>
internal sealed class ParityGroup(int size)
{
    private readonly List<ParityMember> _members = new(size);
    private byte[] _xor = [];
    private int _longest;

    public int Count => _members.Count;

    public bool IsFull => _members.Count >= size;

    public void Add(ReadOnlySpan<byte> body)
    {
        if (body.Length > _xor.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(body.Length);
            _xor.AsSpan(0, _longest).CopyTo(larger);
            larger.AsSpan(_longest).Clear();
            if (_xor.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_xor);
            }

            _xor = larger;
        }

        ParityXor.Into(_xor, body);
        _longest = Math.Max(_longest, body.Length);
        _members.Add(new ParityMember(body.Length, SHA256.HashData(body)));
    }

    /// <summary>The parity file's body, in a pooled buffer the caller returns: the ack, then the parity record.</summary>
    public byte[] Build(long groupId, AckState ack, out int length)
    {
        var total = BodyRecords.AckRecordLength(ack.Ranges.Count) + BodyRecords.ParityRecordOverhead(_members.Count) + _longest;
        var body = ArrayPool<byte>.Shared.Rent(total);
        var offset = BodyRecords.WriteAck(body, ack);
        offset += BodyRecords.WriteParity(body.AsSpan(offset), groupId, _members, _xor.AsSpan(0, _longest));
        length = offset;
        return body;
    }

    public void Clear()
    {
        _xor.AsSpan(0, _longest).Clear();
        _longest = 0;
        _members.Clear();
    }
}
