// CliErrorTests: no exception ever reaches an `ncut` user — library failures, out-of-memory and unexpected errors become one line and a documented exit code; enum options take names only (else a misuse: the error, then the usage).
using NcutKernels.Cli;
using NcutKernels.IO;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class CliErrorTests
{
    private string _dir = null!;
    private string _input = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _dir = TempFolder.Create("ncut-cli-errors-");
        _input = P("x.npy");
        Npy.Write(_input, TestData.Blobs(60, 3, 3, separation: 6, seed: 42));
    }

    [OneTimeTearDown]
    public void OneTimeTearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Test]
    public void LibraryFailureInsideTheSolver_IsOneLine_NotAStackTrace()
    {
        // Features near ±double.MaxValue are finite, so they pass the input checks, but their distances overflow and the
        // eigen-solver meets non-finite numbers. Whatever the library throws for that, the user sees one line.
        var x = new double[20, 2];
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 2; j++)
                x[i, j] = (i + j) % 2 == 0 ? 1.7e308 : -1.7e308;
        Npy.Write(P("overflow.npy"), x);
        var (code, _, stderr) = Run("embed", "--input", P("overflow.npy"), "--n-eig", "2", "--output", P("overflow-u.npy"), "--device", "cpu", "--sigma", "1");
        Assert.That(code, Is.AnyOf(ExitCode.Failure, ExitCode.BadInput), stderr);
        string line = AssertOneErrorLine(stderr);
        if (code == ExitCode.Failure)
            Assert.That(line, Does.Match(@"\(\w+Exception\)$"), "an unexpected failure names its exception type");
        Assert.That(File.Exists(P("overflow-u.npy")), Is.False);
    }

    [Test]
    public void ExactPathBeyondTheBackendsBufferLimit_ExitsThree_SayingHowMuchAndWhatToDo()
    {
        // n = 46341 is the smallest n with n² above Array.MaxLength: the managed backend cannot hold the n × n affinity.
        const int n = 46341;
        var x = new float[n, 1];
        for (int i = 0; i < n; i++)
            x[i, 0] = i % 97;
        Npy.Write(P("big.npy"), x);
        var (code, _, stderr) = Run("embed", "--input", P("big.npy"), "--n-eig", "2", "--output", P("big-u.npy"), "--device", "cpu", "--path", "exact");
        Assert.That(code, Is.EqualTo(ExitCode.OutOfMemory), stderr);
        AssertOneErrorLine(stderr, "out of memory", $"{(long)n * n}", "--path nystrom");
        Assert.That(File.Exists(P("big-u.npy")), Is.False);
    }

    [TestCase("--affinity", "1")]
    [TestCase("--affinity", "-1")]
    [TestCase("--affinity", "rbf,cosine")]
    [TestCase("--path", "2")]
    [TestCase("--propagation", "0")]
    [TestCase("--sampling", " uniform")]
    [TestCase("--distance-precision", "1")]
    public void EnumOption_NumbersAndCombinations_AreRefused(string option, string value)
    {
        AssertMisuse(["embed", "--input", _input, "--n-eig", "2", "--output", P("enum-u.npy"), "--device", "cpu", option, value], option, $"'{value}' is not one of");
    }

    [TestCase("--kway", "1")]
    [TestCase("--layer", "3")]
    [TestCase("--affinity", "0")]
    public void TraceEnumOption_NumbersAreRefused(string option, string value)
    {
        AssertMisuse(["trace", "--image", DemoImage, "--out", P("trace-enum"), option, value], option, $"'{value}'");
        Assert.That(Directory.Exists(P("trace-enum")), Is.False);
    }

    [Test]
    public void EnumOption_NamesInAnyCase_AreAccepted()
    {
        var (code, _, stderr) = Run("embed", "--input", _input, "--n-eig", "2", "--output", P("enum-ok.npy"), "--device", "cpu", "--affinity", "COSINE",
            "--path", "Exact");
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
    }

    [Test]
    public void Help_DocumentsTheExitCodes()
    {
        var (code, stdout, _) = Run("--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("exit codes: 0 done; 1 unexpected failure").And.Contain("2 bad usage or input").And.Contain("3 out of memory"));
    }

    [Test]
    public void Describe_UnexpectedException_NamesItsType_AndExitsOne()
    {
        var (code, line) = ErrorReport.Describe(new ArithmeticException("Non-finite entry NaN at (0, 0)."), "embed");
        Assert.That(code, Is.EqualTo(ExitCode.Failure));
        Assert.That(line, Is.EqualTo("ncut: error: Non-finite entry NaN at (0, 0). (ArithmeticException)"));
    }

    [TestCase("embed", "--path nystrom")]
    [TestCase("trace", "--tiles 1")]
    [TestCase("demo", "--tiles 1")]
    [TestCase("info", "free memory")]
    public void Describe_OutOfMemory_ExitsThree_WithAdviceForTheCommand(string command, string advice)
    {
        var (code, line) = ErrorReport.Describe(new InsufficientMemoryException("cudaMalloc of 12.5 GiB failed"), command);
        Assert.That(code, Is.EqualTo(ExitCode.OutOfMemory));
        Assert.That(line, Does.StartWith("ncut: error: out of memory: cudaMalloc of 12.5 GiB failed").And.Contain(advice));
        Assert.That(ErrorReport.Describe(new OutOfMemoryException(), command).Code, Is.EqualTo(ExitCode.OutOfMemory));
    }

    [Test]
    public void Describe_LibraryArgumentCheck_ExitsTwo_WithoutTheParameterNameDotNetAppends()
    {
        var (code, line) = ErrorReport.Describe(new ArgumentException("x holds NaN at row 3, column 1.", "x"), "embed");
        Assert.That((code, line), Is.EqualTo((ExitCode.BadInput, "ncut: error: x holds NaN at row 3, column 1.")));
        var range = new ArgumentOutOfRangeException("clusters", 1, "clusters must be at least 2.");
        Assert.That(ErrorReport.Describe(range, "cluster").Line, Is.EqualTo("ncut: error: clusters must be at least 2."));
        Assert.That(ErrorReport.Describe(new ArgumentException("no parameter"), "embed").Line, Is.EqualTo("ncut: error: no parameter"));
    }

    [Test]
    public void Describe_UnwrapsALoneInnerException()
    {
        var wrapped = new AggregateException(new AggregateException(new InvalidDataException("bad rows")));
        Assert.That(ErrorReport.Describe(wrapped, "embed"), Is.EqualTo((ExitCode.BadInput, "ncut: error: bad rows")));
        var initializer = new TypeInitializationException("NcutKernels.Something", new OutOfMemoryException("no room"));
        Assert.That(ErrorReport.Describe(initializer, "embed").Code, Is.EqualTo(ExitCode.OutOfMemory));
        var two = new AggregateException(new IOException("a"), new IOException("b"));
        Assert.That(ErrorReport.Describe(two, "embed").Line, Does.EndWith("(AggregateException)"));
    }

    [Test]
    public void Describe_MessageWithLineBreaksAndControlBytes_IsOnePrintableLine()
    {
        var (_, line) = ErrorReport.Describe(new InvalidOperationException("first\nsecond\r\n\u001b[2Jthird\0"), "embed");
        Assert.That(line, Is.EqualTo("ncut: error: first second \\x1B[2Jthird\\x00 (InvalidOperationException)"));
    }

    [Test]
    public void Describe_UserFacingTypes_ExitTwo_WithoutATypeName()
    {
        foreach (var e in new Exception[] { new ArgumentOutOfRangeException("k", 5, "k must be below n."), new FileNotFoundException("gone"),
                     new UnauthorizedAccessException("denied"), new NotSupportedException("no CUDA"), new InvalidDataException("bad") })
        {
            var (code, line) = ErrorReport.Describe(e, "embed");
            Assert.That(code, Is.EqualTo(ExitCode.BadInput), e.GetType().Name);
            Assert.That(line, Does.Not.EndWith($"({e.GetType().Name})"));
        }
    }
}
