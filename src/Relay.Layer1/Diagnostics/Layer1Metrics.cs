using System.Diagnostics.Metrics;

namespace Relay.Layer1.Diagnostics;

/// <summary>Layer-1 instruments on the <c>Relay</c> meter.</summary>
internal sealed class Layer1Metrics : IDisposable
{
    public const string MeterName = "Relay";

    private readonly Meter _meter;
    private readonly Counter<long> _filesWritten;
    private readonly Counter<long> _bytesWritten;
    private readonly Counter<long> _filesRead;
    private readonly Counter<long> _filesRejected;
    private readonly Counter<long> _messagesSent;
    private readonly Counter<long> _messagesDelivered;
    private readonly Counter<long> _fragmentsResent;
    private readonly bool _ownsMeter;

    public Layer1Metrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _filesWritten = _meter.CreateCounter<long>("relay.layer1.files.written", "{file}", "Segment files written");
        _bytesWritten = _meter.CreateCounter<long>("relay.layer1.body.bytes.written", "By", "Plaintext body bytes written into segment files");
        _filesRead = _meter.CreateCounter<long>("relay.layer1.files.read", "{file}", "Segment files accepted");
        _filesRejected = _meter.CreateCounter<long>("relay.layer1.files.rejected", "{file}", "Segment files dropped, by reason");
        _messagesSent = _meter.CreateCounter<long>("relay.layer1.messages.sent", "{message}", "Messages durably queued");
        _messagesDelivered = _meter.CreateCounter<long>("relay.layer1.messages.delivered", "{message}", "Messages delivered in order");
        _fragmentsResent = _meter.CreateCounter<long>("relay.layer1.fragments.resent", "{fragment}", "Fragments written again after a timeout");
    }

    public void FileWritten(string peer, int bodyBytes)
    {
        _filesWritten.Add(1, new KeyValuePair<string, object?>("peer", peer));
        _bytesWritten.Add(bodyBytes, new KeyValuePair<string, object?>("peer", peer));
    }

    public void FileRead(string peer) => _filesRead.Add(1, new KeyValuePair<string, object?>("peer", peer));

    public void FileRejected(string peer, FileRejectReason reason) =>
        _filesRejected.Add(1, new KeyValuePair<string, object?>("peer", peer), new KeyValuePair<string, object?>("reason", reason.ToString()));

    public void MessageSent(string peer) => _messagesSent.Add(1, new KeyValuePair<string, object?>("peer", peer));

    public void MessageDelivered(string peer) => _messagesDelivered.Add(1, new KeyValuePair<string, object?>("peer", peer));

    public void FragmentResent(string peer) => _fragmentsResent.Add(1, new KeyValuePair<string, object?>("peer", peer));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
