using System.IO.Pipelines;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Http;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// Sends a response back to the caller's side as frames: the head (with a small body inline), then
/// the body in chunks within the caller's credit, copying it to a <see cref="ResponseFileTee"/> when it
/// is being kept. Failures of the copy become a <see cref="CalleeCallResult"/> here, once.
/// </summary>
internal static class ResponseStreamer
{
    /// <summary>The head as the callee sent it: the raw field lines, never re-parsed (parsing splits Server into products and reorders Cache-Control).</summary>
    public static ResponseHead HeadOf(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var content = response.Content;
        return new ResponseHead(
            (int)response.StatusCode,
            HeaderRules.Flatten(
                response.Headers.NonValidated.Concat(content.Headers.NonValidated).Select(h => new KeyValuePair<string, StringValues>(h.Key, h.Value.ToArray())),
                response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection) ? string.Join(',', connection) : null),
            content.Headers.ContentLength);
    }

    /// <summary>The entry side chose the codec for the link; content already compressed goes raw whatever it chose.</summary>
    public static BodyCodec CodecFor(HttpContent content, BodyCodec requested)
    {
        ArgumentNullException.ThrowIfNull(content);
        return HeaderRules.IsWorthCompressing(string.Join(',', content.Headers.ContentEncoding), content.Headers.ContentType?.MediaType) ? requested : BodyCodec.None;
    }

    /// <summary>Streams the callee's response; <see cref="ExitOutcome.Served"/> once the whole body has gone.</summary>
    public static async Task<CalleeCallResult> StreamAsync(PeerLink link, ExitExchange exchange, HttpResponseMessage response, ResponseHead head, ResponseFileTee? tee)
    {
        ArgumentNullException.ThrowIfNull(response);
        Stream body;
        try
        {
            body = await response.Content.ReadAsStreamAsync(exchange.Aborted).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsCopyFailure(exception))
        {
            return ResultOf(exception, exchange);
        }

        await using (body.ConfigureAwait(false))
        {
            return await SendAsync(link, exchange, head, body, CodecFor(response.Content, exchange.Head.ResponseCodec), tee).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a kept response again, from its file.</summary>
    public static Task<CalleeCallResult> ReplayAsync(PeerLink link, ExitExchange exchange, ResponseHead head, Stream body) =>
        SendAsync(link, exchange, head, body, exchange.Head.ResponseCodec, tee: null);

    private static async Task<CalleeCallResult> SendAsync(PeerLink link, ExitExchange exchange, ResponseHead head, Stream source, BodyCodec codec, ResponseFileTee? tee)
    {
        var body = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: link.Options.ChunkBytes, leaveOpen: true));
        using var encoder = new BodyEncoder(codec);
        using var frame = new OutgoingFrame(BodyBlock.MaxEncodedLength(link.Options.ChunkBytes) + 4096);
        frame.BeginResponse(exchange.StreamId, head);
        long sentInline = 0;
        var complete = false;
        try
        {
            // A small declared body is worth waiting for: head and body then travel as one message.
            if (head.ContentLength is { } length && length <= link.Options.ChunkBytes)
            {
                var first = await body.ReadAtLeastAsync((int)Math.Max(length, 1), exchange.Aborted).ConfigureAwait(false);
                var take = first.Buffer.Slice(0, Math.Min(first.Buffer.Length, link.Options.ChunkBytes));
                tee?.Append(take);
                frame.AppendBody(take, encoder);
                sentInline = take.Length;
                complete = first.IsCompleted && take.Length == first.Buffer.Length;
                body.AdvanceTo(take.End);
            }

            if (complete)
            {
                frame.EndBody(sentInline);
            }

            await BodyPump.SendChunkAsync(link, frame, exchange.DownloadWindow, exchange.Aborted).ConfigureAwait(false);
            if (!complete)
            {
                await BodyPump.SendAsync(link, exchange.StreamId, fromInitiator: false, body, encoder, exchange.DownloadWindow, sentInline, null, tee, exchange.Aborted)
                    .ConfigureAwait(false);
            }

            return CalleeCallResult.Served;
        }
        catch (Exception exception) when (IsCopyFailure(exception))
        {
            return ResultOf(exception, exchange);
        }
        finally
        {
            await body.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static bool IsCopyFailure(Exception exception) => exception is OperationCanceledException or IOException or HttpRequestException or TimeoutException;

    // Which side failed: the caller's (it reset the stream, or stopped granting room) or the callee's (its body broke off).
    private static CalleeCallResult ResultOf(Exception exception, ExitExchange exchange)
    {
        if (exchange.Aborted.IsCancellationRequested)
        {
            return new CalleeCallResult(exchange.AbortReason == ResetReason.ProtocolViolation ? ExitOutcome.ProtocolViolation : ExitOutcome.CallerGone, Error: exception);
        }

        return exception switch
        {
            TimeoutException => new CalleeCallResult(ExitOutcome.CallerStalled, Error: exception),
            OperationCanceledException => new CalleeCallResult(ExitOutcome.CallerGone, Error: exception),
            _ => new CalleeCallResult(ExitOutcome.CalleeBodyBroken, exception.Message, exception),
        };
    }
}
