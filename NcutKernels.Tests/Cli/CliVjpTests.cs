// CliVjpTests: `ncut embed --vjp/--eigenvalue-vjp --grad-output` against the library's own tape gradient and finite differences.
using NcutKernels.Cli;
using NcutKernels.IO;
using NcutKernels.Tests.Autodiff;
using NUnit.Framework;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class CliVjpTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = TempFolder.Create("ncut-vjp-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static double Loss(double[,] x, double[,] du, double[] dl, string dir)
    {
        string xp = Path.Combine(dir, "xf.npy"), up = Path.Combine(dir, "uf.npy"), lp = Path.Combine(dir, "lf.npy");
        Npy.Write(xp, x);
        var o = new StringWriter();
        Assert.That(Commands.Run(["embed", "--input", xp, "--n-eig", "3", "--sigma", "1.5", "--device", "cpu", "--output", up, "--eigenvalues", lp], o, o), Is.Zero, o.ToString());
        var u = Npy.Read(up).ToMatrix<double>();
        var l = Npy.Read(lp).Doubles!;
        double s = 0;
        for (int i = 0; i < u.GetLength(0); i++)
            for (int j = 0; j < 3; j++)
                s += du[i, j] * u[i, j];
        for (int j = 0; j < 3; j++)
            s += dl[j] * l[j];
        return s;
    }

    [Test]
    public void Vjp_MatchesFiniteDifferencesOfTheEmbedding()
    {
        var x = GradientCheck.Points(40);
        var rng = new Random(2);
        var du = new double[40, 3];
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 3; j++)
                du[i, j] = TestData.Gaussian(rng);
        var dl = new[] { 0.3, -1.2, 0.8 };
        Npy.Write(P("x.npy"), x);
        Npy.Write(P("du.npy"), du);
        Npy.Write(P("dl.npy"), dl);
        var output = new StringWriter();
        int rc = Commands.Run(["embed", "--input", P("x.npy"), "--n-eig", "3", "--sigma", "1.5", "--device", "cpu", "--output", P("u.npy"),
            "--vjp", P("du.npy"), "--eigenvalue-vjp", P("dl.npy"), "--grad-output", P("dx.npy")], output, output);
        Assert.That(rc, Is.Zero, output.ToString());
        var dx = Npy.Read(P("dx.npy")).ToMatrix<double>();
        Assert.That(dx.GetLength(0), Is.EqualTo(40));
        Assert.That(dx.GetLength(1), Is.EqualTo(3));
        // Directional derivative of ⟨dU, U(X)⟩ + ⟨dλ, λ(X)⟩ by central differences through the CLI itself.
        var dir = new double[40, 3];
        double analytic = 0;
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 3; j++)
            {
                dir[i, j] = TestData.Gaussian(rng);
                analytic += dx[i, j] * dir[i, j];
            }
        const double h = 1e-5;
        double Shift(double s)
        {
            var y = (double[,])x.Clone();
            for (int i = 0; i < 40; i++)
                for (int j = 0; j < 3; j++)
                    y[i, j] += s * dir[i, j];
            return Loss(y, du, dl, _dir);
        }
        double fd = (Shift(h) - Shift(-h)) / (2 * h);
        // The CLI's default float64 tolerances (1e-9 residual) limit the agreement to ~1e-6.
        Assert.That(analytic, Is.EqualTo(fd).Within(1e-5 * Math.Abs(fd)));
    }

    [Test]
    public void Vjp_BadInput_ReturnsTwo()
    {
        Npy.Write(P("x.npy"), TestData.Blobs(20, 2, 2, separation: 4, seed: 1));
        Npy.Write(P("du.npy"), new double[20, 2]);
        var err = new StringWriter();
        Assert.That(Commands.Run(["embed", "--input", P("x.npy"), "--n-eig", "3", "--device", "cpu", "--output", P("u.npy"), "--vjp", P("du.npy")],
            new StringWriter(), err), Is.EqualTo(2));
        Assert.That(err.ToString(), Does.Contain("--grad-output"));
        err = new StringWriter();
        Assert.That(Commands.Run(["embed", "--input", P("x.npy"), "--n-eig", "3", "--device", "cpu", "--output", P("u.npy"), "--vjp", P("du.npy"),
            "--grad-output", P("dx.npy")], new StringWriter(), err), Is.EqualTo(2));
        Assert.That(err.ToString(), Does.Contain("expected shape (20, 3)"));
    }
}
