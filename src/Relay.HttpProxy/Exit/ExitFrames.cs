using System.Buffers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Exit;

/// <summary>Frames the exit side answers with when it has no callee response to send: problems and resets.</summary>
internal static class ExitFrames
{
    /// <summary>A whole problem response (head and body in one frame).</summary>
    public static byte[] Problem(Guid streamId, ProblemDetails problem, HeaderList extraHeaders)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(extraHeaders);
        var body = RelayProblem.Serialize(problem);
        var head = new ResponseHead(problem.Status ?? 500, [new(HeaderNames.ContentType, RelayProblem.ContentType), .. extraHeaders], body.Length);
        using var frame = new OutgoingFrame(body.Length + 512);
        using var encoder = new BodyEncoder(BodyCodec.None);
        frame.BeginResponse(streamId, head);
        frame.AppendBody(new ReadOnlySequence<byte>(body), encoder);
        frame.EndBody(body.Length);
        return frame.Memory.ToArray();
    }

    /// <summary>Sends a problem response; completes once it is durable. To a peer that reads nothing from this node, nothing is sent.</summary>
    public static async Task SendProblemAsync(PeerLink link, Guid streamId, ProblemDetails problem, HeaderList? extraHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (!link.CanSend)
        {
            link.Withhold();
            return;
        }

        await link.SendAsync(Problem(streamId, problem, extraHeaders ?? HeaderList.Empty), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Sends what an outcome calls for: a problem (awaited until durable), a reset (posted), or nothing.</summary>
    public static async Task SendAsync(PeerLink link, Guid streamId, ExitAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Problem is { } problem)
        {
            await SendProblemAsync(link, streamId, problem, answer.ExtraHeaders).ConfigureAwait(false);
        }
        else if (answer.Reset is { } reason)
        {
            link.Post(FrameWriter.Reset(streamId, fromInitiator: false, reason));
        }
    }
}
