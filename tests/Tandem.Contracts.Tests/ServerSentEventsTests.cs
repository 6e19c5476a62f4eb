using System.IO.Pipelines;
using System.Text;

namespace Tandem.Contracts.Tests;

public class ServerSentEventsTests
{
    private static readonly CompletionChunk Chunk = new()
    {
        Id = "c",
        Created = 0,
        Model = "m",
        Choices = [new CompletionChoice { Index = 0, Text = "héllo" }],
    };

    private const string ChunkEvent =
        "data: {\"id\":\"c\",\"object\":\"text_completion\",\"created\":0,\"model\":\"m\",\"choices\":[{\"index\":0,\"text\":\"h\\u00E9llo\",\"logprobs\":null,\"finish_reason\":null}]}\n\n";

    [Fact]
    public void Format_writes_one_data_event()
    {
        Assert.Equal(ChunkEvent, Encoding.UTF8.GetString(ServerSentEvents.Format(Chunk)));
    }

    [Fact]
    public async Task A_stream_gets_the_events_then_done()
    {
        using var stream = new MemoryStream();

        await ServerSentEvents.WriteAsync(stream, Chunk, TestContext.Current.CancellationToken);
        await ServerSentEvents.WriteDoneAsync(stream, TestContext.Current.CancellationToken);

        Assert.Equal(ChunkEvent + "data: [DONE]\n\n", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task A_pipe_gets_the_events_then_done()
    {
        var pipe = new Pipe();

        await ServerSentEvents.WriteAsync(pipe.Writer, Chunk, TestContext.Current.CancellationToken);
        await ServerSentEvents.WriteAsync(pipe.Writer, ErrorResponse.ServerError("boom"), TestContext.Current.CancellationToken);
        await ServerSentEvents.WriteDoneAsync(pipe.Writer, TestContext.Current.CancellationToken);
        await pipe.Writer.CompleteAsync();

        using var read = new MemoryStream();
        await pipe.Reader.CopyToAsync(read, TestContext.Current.CancellationToken);
        Assert.Equal(
            ChunkEvent
            + "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
            + "data: [DONE]\n\n",
            Encoding.UTF8.GetString(read.ToArray()));
    }

    [Fact]
    public async Task A_large_event_grows_the_pooled_buffer()
    {
        var big = Chunk with { Choices = [new CompletionChoice { Index = 0, Text = new string('x', 100_000) }] };
        using var stream = new MemoryStream();

        await ServerSentEvents.WriteAsync(stream, big, TestContext.Current.CancellationToken);

        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.StartsWith("data: {", text, StringComparison.Ordinal);
        Assert.EndsWith("}\n\n", text, StringComparison.Ordinal);
        Assert.Contains(new string('x', 100_000), text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_type_outside_the_context_is_refused()
    {
        Assert.Throws<NotSupportedException>(() => ServerSentEvents.Format(new Unregistered(1)));
    }

    private sealed record Unregistered(int Value);
}
