/**
 * The commands that fix a missing runtime, named once so every error says the same thing. `npx dh-mcp ...`
 * works both where the package is installed locally and where it is not (npx fetches it).
 */
export const SETUP_PYTHON_COMMAND = 'npx dh-mcp setup python';
export const SETUP_DOCKER_COMMAND = 'npx dh-mcp setup docker';

/** How to get a JDK 17+ on this platform; dh-mcp never runs a system package manager itself. */
export function javaInstallHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'install a JDK 17 or newer (brew install --cask temurin@17, or https://adoptium.net) and set JAVA_HOME=$(/usr/libexec/java_home -v 17)';
    case 'win32':
      return 'install a JDK 17 or newer (winget install EclipseAdoptium.Temurin.17.JDK, or https://adoptium.net) and set JAVA_HOME to its folder';
    default:
      return 'install a JDK 17 or newer (Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless; Fedora: sudo dnf install java-17-openjdk-headless; or https://adoptium.net) or set JAVA_HOME to one';
  }
}

/** How to get a Python 3.10+ with a shared libpython (jpy loads it into the JVM). */
export function pythonInstallHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'install Python 3.10 or newer (brew install python@3.12, or https://www.python.org/downloads/) and re-run, or pass --python <path>';
    case 'win32':
      return 'install Python 3.10 or newer (winget install Python.Python.3.12, or https://www.python.org/downloads/) and re-run, or pass --python <path>';
    default:
      return 'install Python 3.10 or newer with its shared library and venv module (Debian/Ubuntu: sudo apt-get install python3 python3-venv libpython3-dev; pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.12) and re-run, or pass --python <path>';
  }
}

/** How to start a Docker engine, for "no engine answers". */
export function dockerStartHint(platform: NodeJS.Platform = process.platform): string {
  const start =
    platform === 'linux'
      ? 'start the Docker engine (sudo systemctl start docker, or rootless: systemctl --user start docker)'
      : 'start Docker Desktop (or colima start / podman machine start)';
  return `${start}, or set DOCKER_HOST to the engine's address; without Docker, prepare the Python runtime with: ${SETUP_PYTHON_COMMAND}`;
}
