# bash completion for pthumb(1): options, and the values of those that
# take one of a few words. Installed by `make install` where
# bash-completion looks for it (share/bash-completion/completions/pthumb).
# Needs nothing from the bash-completion package.

_pthumb()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD-1]}
	local words

	case $prev in
	-f | --format)
		words='jpg png webp tif gif heic avif jxl' ;;
	--mode)
		words='pool spawn threads sequential' ;;
	--fail-on)
		words='none truncated error warning' ;;
	--freedesktop-size)
		words='normal large x-large xx-large' ;;
	--smartcrop)
		words='attention entropy' ;;
	--background)
		words='white black' ;;
	-o | --output | --files-from)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-j | --jobs | -s | --size | -b | --blur | -Q | --quality | \
	--output-template | --max-tasks-per-worker | --compare-jobs | \
	--shard | --max-pixels | --timeout | --worker-memory)
		COMPREPLY=() # a number or a pattern of the user's
		return ;;
	esac
	if [[ $cur == -* ]]; then
		words='--jobs --size --blur --output --format --quality --force
		    --replace-unrecorded --verify --fsync --dry-run --json --quiet
		    --files-from --null --follow --watch --prune --version
		    --output-template
		    --crop --smartcrop --background --keep-profile
		    --keep-metadata --exact --freedesktop --freedesktop-size
		    --stdin-image --mode --max-tasks-per-worker --sequential
		    --compare --compare-jobs --compare-modes --keep --shard
		    --strict --fail-on --max-pixels --timeout --worker-memory
		    --allow-untrusted --help --help-all --help-picture
		    --help-timing --help-limits'
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	if [[ -n $words ]]; then
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}

complete -o filenames -F _pthumb pthumb
