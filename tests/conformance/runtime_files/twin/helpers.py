NAME = "twin helpers"
