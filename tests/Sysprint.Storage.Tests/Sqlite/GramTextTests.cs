using CsCheck;
using Sysprint.Model;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

public sealed class GramTextTests
{
    [Theory]
    [InlineData("257", new[] { 257 })]
    [InlineData("257 0 3", new[] { 257, 0, 3 })]
    [InlineData("100000 5000", new[] { 100_000, 5000 })]
    [InlineData("-1 2", new[] { -1, 2 })]
    public void Formatted_grams_parse_back(string text, int[] expected)
    {
        Span<int> gram = stackalloc int[4];

        int length = GramText.Parse(text, gram);

        Assert.Equal(expected, gram[..length].ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("1  2")]
    [InlineData("1 2 ")]
    [InlineData(" 1 2")]
    [InlineData("1,2")]
    [InlineData("0x10")]
    [InlineData("1 2 3 4 5")]
    [InlineData("99999999999")]
    public void Malformed_or_too_long_text_is_rejected(string text)
    {
        Span<int> gram = stackalloc int[4];

        Assert.Equal(-1, GramText.Parse(text, gram));
    }

    [Fact]
    public void Parsing_agrees_with_the_model_for_random_grams()
    {
        Gen.Int[-5, 200_000].Array[1, 16].Sample(numbers =>
        {
            Span<int> gram = stackalloc int[16];
            int length = GramText.Parse(Fingerprint.FormatGram(numbers), gram);
            Assert.Equal(numbers, gram[..length].ToArray());
        });
    }
}
