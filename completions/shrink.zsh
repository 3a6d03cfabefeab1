# zsh completion for shrink: zsh runs the bash script through bashcompinit.
# Use: source /path/to/shrink/completions/shrink.zsh
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
source "${0:A:h}/shrink.bash"
