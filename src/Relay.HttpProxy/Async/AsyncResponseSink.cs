using Relay.HttpProxy.Protocol;
using Relay.Layer1.State;

namespace Relay.HttpProxy.Async;

/// <summary>
/// Takes the response of one request answered 202 straight into its kept file, chunk by chunk as the
/// frames arrive. Each frame is written (and its state committed where it changes) before its
/// message is marked handled, so a restart of the entry node loses nothing and duplicates nothing:
/// the messages not yet marked come again and are appended only if newer than the file's last.
/// </summary>
internal sealed class AsyncResponseSink : IDisposable
{
    private readonly Guid _id;
    private readonly AsyncRequestStore _store;
    private readonly TimeProvider _time;
    private readonly Action<Guid, Task> _ended;
    private readonly FileStream _file;
    private long _lastSequence;

    /// <param name="id">The request.</param>
    /// <param name="store">Where its state is kept.</param>
    /// <param name="time">The clock.</param>
    /// <param name="ended">Told once the response is wholly kept, or failed, with the task committing that state.</param>
    public AsyncResponseSink(Guid id, AsyncRequestStore store, TimeProvider time, Action<Guid, Task> ended)
    {
        _id = id;
        _store = store;
        _time = time;
        _ended = ended;
        var path = store.BodyPath(id);
        _lastSequence = StoredBodyFile.Recover(path);
        _file = OwnerOnlyFiles.Create(path, FileMode.Append, FileShare.Read | FileShare.Delete, bufferSize: 1);
    }

    /// <summary>Keeps a response head (and its inline body); returns what the message's mark must wait for.</summary>
    public Task OnHead(long sequence, Frame frame, ResponseHead head)
    {
        Append(sequence, frame);
        var receiving = _store.ReceivingAsync(_id, head.Status, frame.HeadJson.ToArray());
        return frame.EndOfBody ? End(receiving, frame.DeclaredTotal) : receiving;
    }

    /// <summary>Keeps a body chunk; returns what the message's mark must wait for.</summary>
    public Task OnData(long sequence, Frame frame)
    {
        Append(sequence, frame);
        return frame.EndOfBody ? End(Task.CompletedTask, frame.DeclaredTotal) : Task.CompletedTask;
    }

    /// <summary>Keeps a problem as the answer: the response will not come (or not whole).</summary>
    public Task Fail(Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        var failed = _store.FailAsync(_id, problem.Status ?? 502, Problems.RelayProblem.Serialize(problem), _time.GetUtcNow());
        _ended(_id, failed);
        return failed;
    }

    public void Dispose() => _file.Dispose();

    private void Append(long sequence, Frame frame)
    {
        if (sequence <= _lastSequence)
        {
            return;
        }

        if (!frame.Body.IsEmpty)
        {
            StoredBodyFile.Append(_file, sequence, frame.IsBrotli, frame.Body.Span);
        }
        else
        {
            // An empty record still moves the last sequence on, so the frame is not taken twice.
            StoredBodyFile.Append(_file, sequence, brotli: false, ReadOnlySpan<byte>.Empty);
        }

        _lastSequence = sequence;
    }

    private Task End(Task before, long declaredTotal)
    {
        var complete = CompleteAfterAsync(before, declaredTotal);
        _ended(_id, complete);
        return complete;
    }

    private async Task CompleteAfterAsync(Task before, long declaredTotal)
    {
        await before.ConfigureAwait(false);
        await _store.CompleteAsync(_id, declaredTotal, _time.GetUtcNow()).ConfigureAwait(false);
    }
}
