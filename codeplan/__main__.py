from codeplan._cli import main

main()
