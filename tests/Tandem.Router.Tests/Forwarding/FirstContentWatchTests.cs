using System.Text;
using Tandem.Router.Forwarding;

namespace Tandem.Router.Tests.Forwarding;

public sealed class FirstContentWatchTests
{
    private const string RoleChunk = """data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""" + "\n\n";
    private const string ChatToken = """data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" Once"},"finish_reason":null}]}""" + "\n\n";
    private const string TextToken = """data: {"object":"text_completion","choices":[{"index":0,"text":" Once","finish_reason":null}]}""" + "\n\n";

    private static bool Feed(FirstContentWatch watch, string text) => watch.Feed(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void RoleOnlyChunkIsNotContentAndTheTokenAfterItIs()
    {
        var watch = new FirstContentWatch();

        Assert.False(Feed(watch, RoleChunk));
        Assert.True(Feed(watch, ChatToken));
        Assert.False(Feed(watch, ChatToken));
    }

    [Fact]
    public void ChunkSplitAcrossReadsCountsWhenItsLastByteArrives()
    {
        var watch = new FirstContentWatch();
        var split = TextToken.Length - 1;

        Assert.False(Feed(watch, TextToken[..10]));
        Assert.False(Feed(watch, TextToken[10..split]));
        Assert.True(Feed(watch, TextToken[split..]));
    }

    [Fact]
    public void DoneAndErrorEventsAreNotContent()
    {
        var watch = new FirstContentWatch();

        Assert.False(Feed(watch, """data: {"error":{"message":"boom"}}""" + "\n\n" + "data: [DONE]\n\n"));
        Assert.False(Feed(watch, "data: {not json\n\n"));
        Assert.True(Feed(watch, RoleChunk + TextToken));
    }
}
